"""The 25 classes of LLP (Look, Listen and Parse; Tian et al., ECCV 2020).

The index of a class is its position here: the order of the released code,
not alphabetical (avvp.md section 2.2). Names are written exactly as in the
annotation files.
"""

LLP_CLASSES = (
    'Speech', 'Car', 'Cheering', 'Dog', 'Cat', 'Frying_(food)',
    'Basketball_bounce', 'Fire_alarm', 'Chainsaw', 'Cello', 'Banjo',
    'Singing', 'Chicken_rooster', 'Violin_fiddle', 'Vacuum_cleaner',
    'Baby_laughter', 'Accordion', 'Lawn_mower', 'Motorcycle', 'Helicopter',
    'Acoustic_guitar', 'Telephone_bell_ringing', 'Baby_cry_infant_cry',
    'Blender', 'Clapping')
