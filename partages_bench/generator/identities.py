"""French identities for synthetic clinical notes: names, places, and identifiers that validate.

Every identifier is *valid* rather than merely plausible, so that a pseudonymiser cannot tell a
surrogate from a real value by its checksum or geography:

- the NIR (``SECU``) encodes sex, birth year and month and the birth commune's INSEE code (or
  ``99`` + country for people born abroad; ``20`` for Corsica before 1976, ``2A``/``2B`` after),
  and its key is 97 − (N mod 97) with 2A → 19 and 2B → 18;
- postcodes, INSEE codes and landline prefixes come from one table of real communes, so a
  ``ZIP`` always matches its ``VILLE`` and a landline its region;
- RPPS numbers (prescribers) carry their Luhn check digit.

The data are public geography and common names; the people they make up are fictitious.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum import luhn

Sex = Literal["M", "F"]


@dataclass(frozen=True)
class City:
    name: str
    postcode: str
    insee: str  # INSEE commune code (COG), e.g. "44109", "2A004", "97411"

    @property
    def department(self) -> str:
        return self.insee[:3] if self.insee.startswith("97") else self.insee[:2]


@dataclass(frozen=True)
class Address:
    street: str  # the street line only: "12 bis rue Victor Hugo"
    city: City


@dataclass(frozen=True)
class Hospital:
    name: str
    city: City
    domain: str  # staff e-mail domain


@dataclass(frozen=True)
class Person:
    first_name: str
    surname: str
    sex: Sex
    title: str = ""  # "Dr" or "Pr" for physicians
    phone: str = ""  # ten digits, unformatted
    email: str = ""
    address: Address | None = None
    rpps: str = ""


def _cities(rows: str) -> tuple[City, ...]:
    """Parse 'name;postcode;insee' lines: one compact table instead of 140 constructor calls."""
    return tuple(City(*line.split(";")) for line in rows.strip().splitlines())


CITIES = _cities("""
Paris;75004;75104
Paris;75005;75105
Paris;75010;75110
Paris;75011;75111
Paris;75012;75112
Paris;75013;75113
Paris;75014;75114
Paris;75015;75115
Paris;75017;75117
Paris;75018;75118
Paris;75019;75119
Paris;75020;75120
Marseille;13005;13205
Marseille;13008;13208
Marseille;13009;13209
Marseille;13015;13215
Lyon;69003;69383
Lyon;69004;69384
Lyon;69007;69387
Lyon;69008;69388
Créteil;94000;94028
Bobigny;93000;93008
Villejuif;94800;94076
Suresnes;92150;92073
Boulogne-Billancourt;92100;92012
Saint-Denis;93200;93066
Montreuil;93100;93048
Argenteuil;95100;95018
Versailles;78000;78646
Nanterre;92000;92050
Vitry-sur-Seine;94400;94081
Aubervilliers;93300;93001
Colombes;92700;92025
Évry-Courcouronnes;91000;91228
Meaux;77100;77284
Cergy;95000;95127
Ivry-sur-Seine;94200;94041
Clichy;92110;92024
Nantes;44000;44109
Saint-Herblain;44800;44162
Rezé;44400;44143
Saint-Nazaire;44600;44184
Angers;49000;49007
Cholet;49300;49099
Rennes;35000;35238
Saint-Malo;35400;35288
Brest;29200;29019
Quimper;29000;29232
Lorient;56100;56121
Vannes;56000;56260
Saint-Brieuc;22000;22278
La Roche-sur-Yon;85000;85191
Laval;53000;53130
Caen;14000;14118
Rouen;76000;76540
Cherbourg-en-Cotentin;50100;50129
Évreux;27000;27229
Alençon;61000;61001
Tours;37000;37261
Orléans;45000;45234
Blois;41000;41018
Chartres;28000;28085
Bourges;18000;18033
Lille;59000;59350
Roubaix;59100;59512
Tourcoing;59200;59599
Dunkerque;59140;59183
Valenciennes;59300;59606
Calais;62100;62193
Arras;62000;62041
Lens;62300;62498
Amiens;80000;80021
Beauvais;60000;60057
Compiègne;60200;60159
Saint-Quentin;02100;02691
Reims;51100;51454
Troyes;10000;10387
Metz;57000;57463
Nancy;54000;54395
Strasbourg;67000;67482
Mulhouse;68100;68224
Colmar;68000;68066
Épinal;88000;88160
Dijon;21000;21231
Besançon;25000;25056
Belfort;90000;90010
Chalon-sur-Saône;71100;71076
Auxerre;89000;89024
Nevers;58000;58194
Villeurbanne;69100;69266
Vénissieux;69200;69259
Saint-Étienne;42000;42218
Grenoble;38000;38185
Clermont-Ferrand;63000;63113
Annecy;74000;74010
Chambéry;73000;73065
Valence;26000;26362
Bourg-en-Bresse;01000;01053
Vichy;03200;03310
Montluçon;03100;03185
Aurillac;15000;15014
Aix-en-Provence;13100;13001
Arles;13200;13004
Toulon;83000;83137
Fréjus;83600;83061
Nice;06000;06088
Cannes;06400;06029
Antibes;06600;06004
Avignon;84000;84007
Gap;05000;05061
Digne-les-Bains;04000;04070
Nîmes;30000;30189
Montpellier;34000;34172
Béziers;34500;34032
Sète;34200;34301
Perpignan;66000;66136
Narbonne;11100;11262
Carcassonne;11000;11069
Ajaccio;20000;2A004
Porto-Vecchio;20137;2A247
Bastia;20200;2B033
Toulouse;31000;31555
Colomiers;31770;31149
Montauban;82000;82121
Albi;81000;81004
Castres;81100;81065
Tarbes;65000;65440
Pau;64000;64445
Bayonne;64100;64102
Biarritz;64200;64122
Mont-de-Marsan;40000;40192
Dax;40100;40088
Agen;47000;47001
Bordeaux;33000;33063
Mérignac;33700;33281
Pessac;33600;33318
Libourne;33500;33243
Arcachon;33120;33009
Périgueux;24000;24322
Bergerac;24100;24037
Limoges;87000;87085
Brive-la-Gaillarde;19100;19031
Poitiers;86000;86194
Niort;79000;79191
La Rochelle;17000;17300
Angoulême;16000;16015
Rodez;12000;12202
Cahors;46000;46042
Saint-Denis;97400;97411
Saint-Pierre;97410;97416
Fort-de-France;97200;97209
Pointe-à-Pitre;97110;97120
Les Abymes;97139;97101
""")

_CITY_BY_POSTCODE = {city.postcode: city for city in CITIES}

# Landline prefix by department (ARCEP zones 01–05 and the overseas prefixes).
_ZONE_DEPARTMENTS = {
    "01": "75 77 78 91 92 93 94 95",
    "02": "14 18 22 27 28 29 35 36 37 41 44 45 49 50 53 56 61 72 76 85",
    "03": "02 08 10 21 25 39 51 52 54 55 57 58 59 60 62 67 68 70 71 80 88 89 90",
    "04": "01 03 04 05 06 07 11 13 15 26 2A 2B 30 34 38 42 43 48 63 66 69 73 74 83 84",
    "05": "09 12 16 17 19 23 24 31 32 33 40 46 47 64 65 79 81 82 86 87",
    "0590": "971",
    "0596": "972",
    "0262": "974",
}
LANDLINE_PREFIX = {
    department: prefix
    for prefix, departments in _ZONE_DEPARTMENTS.items()
    for department in departments.split()
}

# INSEE country codes (NIR positions 6–10 are "99" + code for people born abroad).
COUNTRY_CODES = {
    "maghreb": ("350", "351", "352"),  # Maroc, Tunisie, Algérie
    "portugal": ("139",),
    "vietnam": ("243",),
    "afrique": ("322", "326", "335", "341"),  # Cameroun, Côte d'Ivoire, Mali, Sénégal
    "sud_europe": ("127", "134"),  # Italie, Espagne
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


# First names by origin, sex and generation (born before 1955, 1955–1984, from 1985): a name
# that fits the birth year keeps notes plausible and keeps surrogates from standing out.
_FRENCH_FIRST_NAMES: dict[tuple[Sex, int], tuple[str, ...]] = {
    ("M", 0): _words("""Jean, Pierre, Michel, André, Jacques, René, Louis, Roger, Marcel, Georges,
        Henri, Robert, Bernard, Claude, Paul, Maurice, Raymond, Lucien, Guy, Gérard, Jean-Pierre,
        Jean-Claude, Jean-Louis, Daniel, Yves, Roland, Gilbert, Albert, Francis, Émile, Fernand,
        Joseph, Marius, Alain, Serge"""),
    ("M", 1): _words("""Philippe, Patrick, Éric, Christophe, Stéphane, Laurent, Frédéric, Olivier,
        Pascal, Thierry, Didier, Dominique, Sébastien, Nicolas, David, Franck, Vincent, Bruno,
        Jérôme, Arnaud, Cédric, Jean-Marc, Jean-François, Jean-Luc, Fabrice, Hervé, Lionel,
        Ludovic, Emmanuel, Xavier, Benoît, Régis, Yannick, Guillaume, Julien"""),
    ("M", 2): _words("""Thomas, Kevin, Maxime, Alexandre, Quentin, Antoine, Romain, Lucas, Hugo,
        Théo, Nathan, Enzo, Mathis, Clément, Baptiste, Florian, Jordan, Dylan, Valentin, Adrien,
        Arthur, Jules, Léo, Gabriel, Raphaël, Tom, Noah, Timothée, Corentin, Benjamin, Louis"""),
    ("F", 0): _words("""Marie, Jeanne, Monique, Jacqueline, Simone, Paulette, Yvette, Denise,
        Germaine, Suzanne, Madeleine, Marcelle, Odette, Colette, Micheline, Ginette, Huguette,
        Lucienne, Renée, Josette, Françoise, Nicole, Danielle, Christiane, Geneviève,
        Marie-Thérèse, Marie-Louise, Annie, Odile, Éliane, Yvonne, Raymonde, Andrée, Gisèle"""),
    ("F", 1): _words("""Nathalie, Isabelle, Sylvie, Catherine, Valérie, Sandrine, Christine,
        Véronique, Martine, Corinne, Patricia, Laurence, Florence, Stéphanie, Céline, Karine,
        Virginie, Delphine, Muriel, Pascale, Brigitte, Marie-Christine, Anne-Marie, Marie-Claude,
        Hélène, Agnès, Caroline, Sophie, Béatrice, Carole, Séverine, Aurélie, Émilie, Élodie"""),
    ("F", 2): _words("""Julie, Camille, Laura, Manon, Marine, Pauline, Léa, Chloé, Emma, Sarah,
        Clara, Inès, Jade, Louise, Alice, Lola, Zoé, Mathilde, Océane, Anaïs, Justine, Morgane,
        Charlotte, Margaux, Juliette, Lucie, Maëlle, Elsa, Romane, Anna, Ambre, Agathe"""),
}

# Other origins common in France: one list per sex, all generations.
_FIRST_NAMES_BY_ORIGIN: dict[tuple[str, Sex], tuple[str, ...]] = {
    ("maghreb", "M"): _words("""Mohamed, Ahmed, Karim, Rachid, Mustapha, Abdelkader, Youssef,
        Mehdi, Samir, Nordine, Farid, Hamid, Saïd, Bilal, Sofiane, Yassine, Nassim, Omar, Ali,
        Brahim, Khaled, Hicham, Djamel, Amine, Ilyes, Rayan, Adam"""),
    ("maghreb", "F"): _words("""Fatima, Khadija, Aïcha, Malika, Samira, Nadia, Leïla, Yasmina,
        Karima, Naïma, Rachida, Djamila, Zohra, Souad, Farida, Myriam, Sonia, Amel, Salma,
        Yasmine, Nour, Meriem, Kenza, Sabrina"""),
    ("portugal", "M"): _words("""João, José, Manuel, António, Carlos, Paulo, Rui, Nuno, Luís,
        Fernando, Joaquim, Francisco, Tiago, Pedro, Miguel"""),
    ("portugal", "F"): _words("""Maria, Ana, Isabel, Rosa, Conceição, Teresa, Manuela, Sandra,
        Cristina, Sofia, Joana, Rita, Lúcia, Fátima"""),
    ("vietnam", "M"): _words("Minh, Duc, Hung, Tuan, Quang, Thanh, Long, Hai, Nam, Khanh, Hoang"),
    ("vietnam", "F"): _words("Lan, Mai, Linh, Huong, Thu, Hoa, Ngoc, Trang, Thuy, Hanh, Phuong"),
    ("afrique", "M"): _words("""Mamadou, Moussa, Ibrahima, Abdoulaye, Ousmane, Cheikh, Amadou,
        Boubacar, Souleymane, Seydou, Yao, Aliou, Modibo, Lamine"""),
    ("afrique", "F"): _words("""Aminata, Fatoumata, Mariama, Awa, Aïssatou, Kadiatou, Coumba,
        Fanta, Binta, Adama, Mariam, Oumou, Nafissatou, Djeneba"""),
    ("sud_europe", "M"): _words("""Antonio, Giuseppe, Salvatore, Francesco, Giovanni, Luigi,
        Mario, Juan, Rafael, Alejandro, Javier, Roberto, Angelo, Marco"""),
    ("sud_europe", "F"): _words("""Giuseppina, Carmela, Francesca, Lucia, Carmen, Dolores,
        Pilar, Mercedes, Elena, Paola, Giulia, Maria, Rosa"""),
}

SURNAMES: dict[str, tuple[str, ...]] = {
    "france": _words("""Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau,
        Laurent, Simon, Michel, Lefebvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard,
        Bonnet, Dupont, Lambert, Fontaine, Rousseau, Vincent, Muller, Lefèvre, Faure, André,
        Mercier, Blanc, Guérin, Boyer, Garnier, Chevalier, François, Legrand, Gauthier, Perrin,
        Robin, Clément, Morin, Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Marchand,
        Duval, Denis, Dumont, Marie, Lemaire, Noël, Meyer, Dufour, Meunier, Brun, Blanchard,
        Giraud, Joly, Rivière, Lucas, Brunet, Gaillard, Barbier, Arnaud, Gérard, Roche, Renard,
        Schmitt, Roy, Leroux, Colin, Vidal, Caron, Picard, Roger, Fabre, Aubert, Lemoine, Renaud,
        Dumas, Lacroix, Olivier, Philippe, Bourgeois, Pierre, Benoît, Rey, Leclerc, Payet,
        Rolland, Leclercq, Guillaume, Lecomte, Jean, Dupuy, Guillot, Hubert, Berger, Carpentier,
        Dupuis, Moulin, Louis, Deschamps, Huet, Vasseur, Boucher, Fleury, Royer, Klein, Jacquet,
        Adam, Paris, Poirier, Marty, Aubry, Guyot, Carré, Charles, Renault, Charpentier, Ménard,
        Maillard, Baron, Bertin, Bailly, Hervé, Schneider, Le Gall, Collet, Léger, Bouvier,
        Julien, Prévost, Millet, Perrot, Daniel, Le Roux, Cousin, Germain, Breton, Besson,
        Langlois, Rémy, Le Goff, Pelletier, Lévêque, Perrier, Leblanc, Barré, Lebrun, Marchal,
        Weber, Mallet, Hamon, Boulanger, Jacob, Monnier, Michaud, Guichard, Gillet, Étienne,
        Grondin, Poulain, Tessier, Chevallier, Collin, Chauvin, Bouchet, Gay, Lemaître, Bénard,
        Maréchal, Humbert, Reynaud, Antoine, Hoarau, Perret, Barthélemy, Cordier, Pichon,
        Lejeune, Gilbert, Lamy, Delaunay, Pasquier, Carlier, Laporte, Le Bihan, Le Guen, Riou,
        Tanguy, Quéré, Morvan, Le Floch, Jaouen, Kerbrat, Ollivier, Guillou, Koenig, Wagner,
        Hoffmann, Fischer, Zimmermann, Kieffer, Schaeffer, Castagné, Lafon, Bonnefoy, Soulié,
        Delmas, Lacoste, Cazenave, Etcheverry, Etchegaray, Larrieu, Bordes, Dufau, Lassalle,
        Mouret, Delattre, Vandamme, Delcroix, Dumortier, Vanhoutte, Desmet, Debruyne, Delannoy,
        de La Fontaine, de Villiers, d'Aubigny, de La Roche, de Saint-Aubin, du Plessis,
        de Lattre, d'Arcy, de Montfort, de Kervéguen"""),
    "maghreb": _words("""Benali, Benabdallah, Bouzid, Haddad, Belkacem, Mansouri, Cherif, Hamidi,
        Boudjema, Khelifi, Saïdi, Bensaïd, Brahimi, Amrani, El Amrani, Benmoussa, Chaoui,
        Zerrouki, Rahmani, Meziane, Hadj-Ahmed, Kaddour, Aït Ouali, Bouaziz, Trabelsi, Gharbi,
        Ben Salah, El Idrissi, Alaoui, Bennani, Tazi, Lahlou, Mebarki, Djebbar, Touati,
        Yahiaoui, Belaïd, Slimani"""),
    "portugal": _words("""Da Silva, Dos Santos, Ferreira, Pereira, Rodrigues, Fernandes,
        Gonçalves, Oliveira, Lopes, Martins, Sousa, Costa, Carvalho, Teixeira, Pinto, Ribeiro,
        Almeida, Gomes, Marques, Alves, Monteiro, Cardoso, Correia, Mendes, De Sousa, Da Costa,
        Moreira, Azevedo"""),
    "vietnam": _words("""Nguyen, Tran, Le, Pham, Hoang, Huynh, Phan, Vu, Vo, Dang, Bui, Do, Ho,
        Ngo, Duong, Ly, Truong, Dinh, Lam, Luong"""),
    "afrique": _words("""Diallo, Traoré, Diop, Ndiaye, Sow, Camara, Keita, Koné, Coulibaly, Touré,
        Cissé, Ba, Sylla, Fofana, Diarra, Konaté, Sissoko, Diakité, Kouassi, Kouamé, Mbaye, Fall,
        Gueye, Sarr, Mendy, Diawara, Kanté, Doumbia, Sangaré"""),
    "sud_europe": _words("""Garcia, Martinez, Lopez, Sanchez, Fernandez, Gonzalez, Rodriguez,
        Perez, Gomez, Ruiz, Hernandez, Diaz, Moreno, Jimenez, Navarro, Romero, Rossi, Russo,
        Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, Gallo, Conti,
        De Luca, Di Stefano, Lombardi, Moretti, Fontana, Santoro"""),
}

ORIGINS = tuple(SURNAMES)
_ORIGIN_WEIGHTS = (72, 11, 5, 3, 4, 5)

_STREET_TYPES = _words("rue, rue, rue, avenue, boulevard, impasse, chemin, place, allée, quai")
_STREET_NAMES = _words("""Victor Hugo, Jean Jaurès, du Général Leclerc, du Général de Gaulle,
    Gambetta, du Maréchal Foch, Émile Zola, Jean Moulin, Voltaire, Paul Bert, Louis Pasteur,
    de la République, de la Gare, des Lilas, du Moulin, des Écoles, de l'Église, du Stade,
    des Acacias, de la Paix, du Château, de Verdun, de la Libération, du 8 Mai 1945,
    Jules Ferry, Carnot, Anatole France, Pierre Brossolette, Aristide Briand, Léon Blum,
    des Tilleuls, des Peupliers, de la Fontaine, du Commerce, Saint-Michel, Sainte-Anne,
    des Roses, du Port, de la Mairie, des Vignes, du Four, Nationale, de Bretagne, de Paris,
    Lamartine, Molière, Racine, Alsace-Lorraine, des Marronniers, du Parc, de la Croix Rouge,
    Gabriel Péri, Jean Macé, Marcel Cachin, Henri Barbusse, du Docteur Roux, des Martyrs,
    de Strasbourg, Pablo Picasso, Albert Camus, de la Résistance, des Cerisiers""")

_PERSONAL_MAIL_DOMAINS = _words("""gmail.com, gmail.com, orange.fr, free.fr, wanadoo.fr,
    hotmail.fr, yahoo.fr, laposte.net, sfr.fr, outlook.fr, icloud.com""")


def _hospitals(rows: str) -> tuple[Hospital, ...]:
    """Parse 'name;postcode;domain' lines; the postcode places the hospital in CITIES."""
    hospitals = []
    for line in rows.strip().splitlines():
        name, postcode, domain = line.split(";")
        hospitals.append(Hospital(name, _CITY_BY_POSTCODE[postcode], domain))
    return tuple(hospitals)


HOSPITALS = _hospitals("""
Hôpital Européen Georges-Pompidou;75015;aphp.fr
Hôpital de la Pitié-Salpêtrière;75013;aphp.fr
Hôpital Bichat-Claude-Bernard;75018;aphp.fr
Hôpital Saint-Louis;75010;aphp.fr
Hôpital Lariboisière;75010;aphp.fr
Hôpital Cochin;75014;aphp.fr
Hôpital Tenon;75020;aphp.fr
Hôpital Saint-Antoine;75012;aphp.fr
Institut Curie;75005;curie.fr
Hôpital Henri-Mondor;94000;aphp.fr
Hôpital Avicenne;93000;aphp.fr
Gustave Roussy;94800;gustaveroussy.fr
Hôpital Foch;92150;hopital-foch.com
Hôpital Ambroise-Paré;92100;aphp.fr
Hôpital Delafontaine;93200;ch-stdenis.fr
Centre Hospitalier d'Argenteuil;95100;ch-argenteuil.fr
Centre Hospitalier de Versailles;78000;ght78sud.fr
CHU de Nantes;44000;chu-nantes.fr
Hôpital Nord Laennec;44800;chu-nantes.fr
Clinique Jules Verne;44000;clinique-jules-verne.fr
Institut de Cancérologie de l'Ouest;44800;ico.unicancer.fr
Centre Hospitalier de Saint-Nazaire;44600;ch-saintnazaire.fr
CHU d'Angers;49000;chu-angers.fr
Centre Hospitalier de Cholet;49300;ch-cholet.fr
CHU de Rennes;35000;chu-rennes.fr
Hôpital Pontchaillou;35000;chu-rennes.fr
Centre Eugène Marquis;35000;rennes.unicancer.fr
CHU de Brest;29200;chu-brest.fr
Hôpital de la Cavale Blanche;29200;chu-brest.fr
Centre Hospitalier de Cornouaille;29000;ch-cornouaille.fr
Centre Hospitalier Bretagne Sud;56100;ghbs.bzh
CHU de Caen;14000;chu-caen.fr
Centre François Baclesse;14000;baclesse.unicancer.fr
CHU de Rouen;76000;chu-rouen.fr
Hôpital Charles-Nicolle;76000;chu-rouen.fr
CHU de Tours;37000;chu-tours.fr
Hôpital Bretonneau;37000;chu-tours.fr
Centre Hospitalier Régional d'Orléans;45000;chr-orleans.fr
Centre Hospitalier Départemental Vendée;85000;chd-vendee.fr
CHU de Lille;59000;chu-lille.fr
Hôpital Claude-Huriez;59000;chu-lille.fr
Centre Oscar Lambret;59000;o-lambret.fr
Centre Hospitalier de Roubaix;59100;ch-roubaix.fr
CHU Amiens-Picardie;80000;chu-amiens.fr
CHU de Reims;51100;chu-reims.fr
CHR Metz-Thionville;57000;chr-metz-thionville.fr
CHRU de Nancy;54000;chru-nancy.fr
Nouvel Hôpital Civil;67000;chru-strasbourg.fr
Hôpital de Hautepierre;67000;chru-strasbourg.fr
Hôpital Émile-Muller;68100;ghrmsa.fr
CHU Dijon Bourgogne;21000;chu-dijon.fr
Centre Georges-François Leclerc;21000;cgfl.fr
Hôpital Jean-Minjoz;25000;chu-besancon.fr
Hôpital Édouard-Herriot;69003;chu-lyon.fr
Hôpital de la Croix-Rousse;69004;chu-lyon.fr
Centre Léon Bérard;69008;lyon.unicancer.fr
CHU de Saint-Étienne;42000;chu-st-etienne.fr
CHU Grenoble Alpes;38000;chu-grenoble.fr
Hôpital Gabriel-Montpied;63000;chu-clermontferrand.fr
Centre Hospitalier Annecy Genevois;74000;ch-annecygenevois.fr
Centre Hospitalier de Valence;26000;ch-valence.fr
Hôpital de la Timone;13005;ap-hm.fr
Hôpital Nord;13015;ap-hm.fr
Institut Paoli-Calmettes;13009;ipc.unicancer.fr
Hôpital Pasteur;06000;chu-nice.fr
Hôpital de l'Archet;06000;chu-nice.fr
Centre Antoine Lacassagne;06000;nice.unicancer.fr
Hôpital Lapeyronie;34000;chu-montpellier.fr
Hôpital Gui-de-Chauliac;34000;chu-montpellier.fr
Institut du Cancer de Montpellier;34000;icm.unicancer.fr
CHU de Nîmes;30000;chu-nimes.fr
Centre Hospitalier de Perpignan;66000;ch-perpignan.fr
Centre Hospitalier d'Avignon;84000;ch-avignon.fr
Hôpital Sainte-Musse;83000;ch-toulon.fr
Centre Hospitalier d'Ajaccio;20000;ch-ajaccio.fr
Centre Hospitalier de Bastia;20200;ch-bastia.fr
Hôpital Purpan;31000;chu-toulouse.fr
Hôpital Rangueil;31000;chu-toulouse.fr
Clinique Pasteur;31000;clinique-pasteur.com
CHU de Bordeaux;33000;chu-bordeaux.fr
Hôpital Haut-Lévêque;33600;chu-bordeaux.fr
Institut Bergonié;33000;bordeaux.unicancer.fr
Clinique Saint-Augustin;33000;clinique-saint-augustin.fr
Centre Hospitalier de Pau;64000;ch-pau.fr
Centre Hospitalier de la Côte Basque;64100;ch-cotebasque.fr
Hôpital Dupuytren;87000;chu-limoges.fr
CHU de Poitiers;86000;chu-poitiers.fr
Centre Hospitalier de Niort;79000;ch-niort.fr
Centre Hospitalier d'Angoulême;16000;ch-angouleme.fr
CHU de La Réunion;97400;chu-reunion.fr
CHU de Martinique;97200;chu-martinique.fr
CHU de Guadeloupe;97110;chu-guadeloupe.fr
""")


def generation(birth_year: int) -> int:
    """0, 1 or 2: the first-name generation of someone born that year."""
    return 0 if birth_year < 1955 else 1 if birth_year < 1985 else 2


def random_origin(rng: random.Random) -> str:
    return rng.choices(ORIGINS, _ORIGIN_WEIGHTS)[0]


def random_first_name(rng: random.Random, sex: Sex, birth_year: int, origin: str) -> str:
    if origin == "france":
        return rng.choice(_FRENCH_FIRST_NAMES[sex, generation(birth_year)])
    return rng.choice(_FIRST_NAMES_BY_ORIGIN[origin, sex])


def random_surname(rng: random.Random, origin: str) -> str:
    """A surname of that origin; one French surname in 25 is double ("Martin-Dubois")."""
    surname = rng.choice(SURNAMES[origin])
    if origin == "france" and rng.random() < 0.04:
        second = rng.choice(SURNAMES["france"])
        if " " not in surname + second and "'" not in surname + second and second != surname:
            return f"{surname}-{second}"
    return surname


def random_address(rng: random.Random, city: City) -> Address:
    number = str(rng.randint(1, 180))
    if rng.random() < 0.08:
        number += rng.choice((" bis", " ter"))
    return Address(f"{number} {rng.choice(_STREET_TYPES)} {rng.choice(_STREET_NAMES)}", city)


_CITIES_BY_ZONE = {
    zone: [city for city in CITIES if LANDLINE_PREFIX[city.department] == zone]
    for zone in _ZONE_DEPARTMENTS
}


def city_near(rng: random.Random, city: City) -> City:
    """A commune of the same landline zone: patients mostly live near their hospital."""
    return rng.choice(_CITIES_BY_ZONE[LANDLINE_PREFIX[city.department]])


def _digits(rng: random.Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def random_mobile(rng: random.Random) -> str:
    return rng.choice(("06", "07")) + _digits(rng, 8)


def random_landline(rng: random.Random, city: City) -> str:
    """A fixed line of the city's zone, or a "09" box line (not geographic) one time in ten."""
    prefix = "09" if rng.random() < 0.1 else LANDLINE_PREFIX[city.department]
    return prefix + _digits(rng, 10 - len(prefix))


def random_ipp(rng: random.Random) -> str:
    """Patient identifier: ten digits starting with 80, as in AP-HP's IPP."""
    return "80" + _digits(rng, 8)


def random_nda(rng: random.Random) -> str:
    """Stay (visit) number: nine digits."""
    return str(rng.randint(1, 9)) + _digits(rng, 8)


def random_rpps(rng: random.Random) -> str:
    """An 11-digit RPPS number: "10" + 8 digits + Luhn check digit."""
    body = "10" + _digits(rng, 8)
    return body + luhn.calc_check_digit(body)


def nir_place(birth_date: date, city: City | None, country: str = "") -> str:
    """NIR positions 6–10: the birth commune, "99" + country abroad, "20…" in Corsica pre-1976."""
    if city is None:
        return "99" + country
    if city.department in ("2A", "2B") and birth_date.year < 1976:
        return "20" + city.insee[2:]
    return city.insee


def make_nir(sex: Sex, birth_date: date, place: str, order: int) -> str:
    """A valid 15-character NIR: sex, yy, mm, place (5), order (3), key = 97 − (N mod 97)."""
    body = f"{'1' if sex == 'M' else '2'}{birth_date.year % 100:02d}{birth_date.month:02d}"
    body += f"{place}{order:03d}"
    numeric = body[:5] + {"2A": "19", "2B": "18"}.get(place[:2], place[:2]) + body[7:]
    return f"{body}{97 - int(numeric) % 97:02d}"


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "d'Aubigny" → "daubigny"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if char.isascii() and char.isalnum())


def personal_email(rng: random.Random, first_name: str, surname: str, birth_year: int) -> str:
    first, last = ascii_fold(first_name), ascii_fold(surname)
    local = rng.choice(
        (
            f"{first}.{last}",
            f"{first[0]}.{last}",
            f"{first}{last}",
            f"{last}.{first}{birth_year % 100:02d}",
            f"{first}.{last}{birth_year}",
        )
    )
    return f"{local}@{rng.choice(_PERSONAL_MAIL_DOMAINS)}"


def professional_email(rng: random.Random, first_name: str, surname: str, domain: str) -> str:
    first, last = ascii_fold(first_name), ascii_fold(surname)
    local = rng.choice((f"{first}.{last}", f"{first}.{last}", f"{first[0]}{last}"))
    return f"{local}@{domain}"


# ---------------------------------------------------------------------------------------------
# Surface forms. Each style is a name a renderer can draw, so the formats stay listed in one
# place and tests can check that every produced string is one of them.

PHONE_STYLES = ("spaced", "dotted", "compact", "dashed", "intl", "intl_paren", "digits")


def format_phone(number: str, style: str) -> str:
    """ "0612345678" as "06 12 34 56 78", "+33 (0)6 12 34 56 78", "0 6 1 2 3 4 5 6 7 8"…"""
    pairs = [number[i : i + 2] for i in range(0, 10, 2)]
    if style == "spaced":
        return " ".join(pairs)
    if style == "dotted":
        return ".".join(pairs)
    if style == "compact":
        return number
    if style == "dashed":
        return "-".join(pairs)
    if style == "digits":
        return " ".join(number)
    national = " ".join([number[1], *pairs[1:]])
    return f"+33 {national}" if style == "intl" else f"+33 (0){national}"


NIR_STYLES = ("grouped", "compact", "key_apart", "digits")


def format_nir(nir: str, style: str) -> str:
    """ "184127505612345" as "1 84 12 75 056 123 45", "1841275056123 45", spaced digits…"""
    if style == "compact":
        return nir
    if style == "key_apart":
        return f"{nir[:13]} {nir[13:]}"
    if style == "digits":
        return " ".join(nir)
    parts = (nir[0], nir[1:3], nir[3:5], nir[5:7], nir[7:10], nir[10:13], nir[13:])
    return " ".join(parts)


MONTHS = _words("""janvier, février, mars, avril, mai, juin, juillet, août, septembre, octobre,
    novembre, décembre""")
WEEKDAYS = _words("lundi, mardi, mercredi, jeudi, vendredi, samedi, dimanche")
DATE_STYLES = ("slash", "dot", "dash", "short_year", "long", "weekday", "iso")
MONTH_STYLES = ("month_year", "numeric_month_year")


def format_date(day: date, style: str) -> str:
    """A date in one of DATE_STYLES ("12/03/2021", "1er mars 2021", …) or MONTH_STYLES."""
    if style == "slash":
        return day.strftime("%d/%m/%Y")
    if style == "dot":
        return day.strftime("%d.%m.%Y")
    if style == "dash":
        return day.strftime("%d-%m-%Y")
    if style == "short_year":
        return day.strftime("%d/%m/%y")
    if style == "iso":
        return day.isoformat()
    month = MONTHS[day.month - 1]
    if style == "month_year":
        return f"{month} {day.year}"
    if style == "numeric_month_year":
        return f"{day.month:02d}/{day.year}"
    long = f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {long}" if style == "weekday" else long
