"""The eight closed questions of ``yesno_demo``, written for the test, with their answers."""

QUESTIONS = [
    ("La metformine est-elle un antidiabétique oral ?", "oui"),
    ("L'amoxicilline est-elle un antiviral ?", "non"),
    ("Une fièvre à 39 °C est-elle une hyperthermie ?", "oui"),
    ("Le foie est-il situé dans le thorax ?", "non"),
    ("L'insuline fait-elle baisser la glycémie ?", "oui"),
    ("Une fracture du fémur touche-t-elle le bras ?", "non"),
    ("Le paracétamol est-il un antalgique ?", "oui"),
    ("La tension artérielle se mesure-t-elle en litres ?", "non"),
]
