"""Constants shared by the datasets and the models (each defined once)."""

#: One-second segments per video (AVE and VGGSound-AVEL).
NUM_SEGMENTS = 10
#: The splits of every dataset, in the order of their files.
SPLITS = ('train', 'val', 'test')
#: Label settings: segment labels, or video labels only on train.
SUPERVISIONS = ('fully', 'weakly')
