// Real cities with country, a city code, the phone prefix and a postal-code shape, plus
// street names per language. `weight` is how often a (European/US-centred) CRM sees the
// city; the generator draws cities in proportion to it.

export type PostalKind = 'digits' | 'se' | 'pl' | 'pt' | 'br' | 'jp' | 'nl' | 'uk' | 'ca' | 'ie' | 'none';
export const POSTAL_KINDS: readonly PostalKind[] = ['digits', 'se', 'pl', 'pt', 'br', 'jp', 'nl', 'uk', 'ca', 'ie', 'none'];
export const STREET_LANGS = ['en', 'de', 'fr', 'es', 'pt', 'it', 'nl', 'nordic'] as const;
export type StreetLang = (typeof STREET_LANGS)[number];

export interface City {
  name: string;
  country: string;
  code: string;
  phone: string;
  /** Digits-only shapes: `digits` with `digits` total; others fixed shapes, see postalExpr. */
  postal: PostalKind;
  postalPrefix: string;
  digits: number;
  lang: StreetLang;
  weight: number;
}

// name | country | code | phone prefix | postal kind:prefix[:digits] | street language | weight
const RAW = `
New York|United States|NYC|+1 212|digits:100:5|en|60
London|United Kingdom|LON|+44 20|uk:SW|en|60
Berlin|Germany|BER|+49 30|digits:10:5|de|60
Paris|France|PAR|+33 1|digits:75:5|fr|50
Hamburg|Germany|HAM|+49 40|digits:20:5|de|35
Munich|Germany|MUC|+49 89|digits:80:5|de|35
Los Angeles|United States|LAX|+1 213|digits:900:5|en|35
Chicago|United States|CHI|+1 312|digits:606:5|en|30
Madrid|Spain|MAD|+34 91|digits:28:5|es|30
Toronto|Canada|YTO|+1 416|ca:M|en|28
Vienna|Austria|VIE|+43 1|digits:10:4|de|28
Zurich|Switzerland|ZRH|+41 44|digits:80:4|de|26
Amsterdam|Netherlands|AMS|+31 20|nl:10|nl|26
Frankfurt|Germany|FRA|+49 69|digits:60:5|de|25
Cologne|Germany|CGN|+49 221|digits:50:5|de|24
Milan|Italy|MIL|+39 02|digits:20:5|it|24
Barcelona|Spain|BCN|+34 93|digits:08:5|es|24
Rome|Italy|ROM|+39 06|digits:00:5|it|22
Stockholm|Sweden|STO|+46 8|se:11|nordic|22
Copenhagen|Denmark|CPH|+45 33|digits:1:4|nordic|20
San Francisco|United States|SFO|+1 415|digits:941:5|en|20
Boston|United States|BOS|+1 617|digits:021:5|en|18
Manchester|United Kingdom|MAN|+44 161|uk:M|en|18
Stuttgart|Germany|STR|+49 711|digits:70:5|de|18
Düsseldorf|Germany|DUS|+49 211|digits:40:5|de|18
Brussels|Belgium|BRU|+32 2|digits:10:4|fr|18
Dublin|Ireland|DUB|+353 1|ie:D|en|18
Lisbon|Portugal|LIS|+351 21|pt:11|pt|16
Oslo|Norway|OSL|+47 22|digits:0:4|nordic|16
Helsinki|Finland|HEL|+358 9|digits:00:5|nordic|15
Warsaw|Poland|WAW|+48 22|pl:00|en|15
Prague|Czech Republic|PRG|+420 2|se:11|en|14
Seattle|United States|SEA|+1 206|digits:981:5|en|14
Lyon|France|LYS|+33 4|digits:69:5|fr|14
Leipzig|Germany|LEJ|+49 341|digits:04:5|de|14
Bern|Switzerland|BRN|+41 31|digits:30:4|de|13
Bergen|Norway|BGO|+47 55|digits:50:4|nordic|12
Geneva|Switzerland|GVA|+41 22|digits:12:4|fr|13
Birmingham|United Kingdom|BHX|+44 121|uk:B|en|13
Miami|United States|MIA|+1 305|digits:331:5|en|13
Austin|United States|AUS|+1 512|digits:787:5|en|12
Dresden|Germany|DRS|+49 351|digits:01:5|de|12
Hanover|Germany|HAJ|+49 511|digits:30:5|de|12
Nuremberg|Germany|NUE|+49 911|digits:90:5|de|12
Bremen|Germany|BRE|+49 421|digits:28:5|de|12
Dortmund|Germany|DTM|+49 231|digits:44:5|de|11
Essen|Germany|ESS|+49 201|digits:45:5|de|11
Rotterdam|Netherlands|RTM|+31 10|nl:30|nl|11
Marseille|France|MRS|+33 4|digits:13:5|fr|11
Edinburgh|United Kingdom|EDI|+44 131|uk:EH|en|11
Gothenburg|Sweden|GOT|+46 31|se:41|nordic|10
Basel|Switzerland|BSL|+41 61|digits:40:4|de|10
Valencia|Spain|VLC|+34 96|digits:46:5|es|10
Turin|Italy|TRN|+39 011|digits:10:5|it|10
Naples|Italy|NAP|+39 081|digits:80:5|it|10
Budapest|Hungary|BUD|+36 1|digits:10:4|en|10
Athens|Greece|ATH|+30 21|se:10|en|10
Istanbul|Turkey|IST|+90 212|digits:34:5|en|10
Tokyo|Japan|TYO|+81 3|jp:10|en|10
Sydney|Australia|SYD|+61 2|digits:20:4|en|10
Mexico City|Mexico|MEX|+52 55|digits:06:5|es|10
São Paulo|Brazil|SAO|+55 11|br:01|pt|10
Washington|United States|WAS|+1 202|digits:200:5|en|10
Houston|United States|HOU|+1 713|digits:770:5|en|9
Dallas|United States|DFW|+1 214|digits:752:5|en|9
Atlanta|United States|ATL|+1 404|digits:303:5|en|9
Denver|United States|DEN|+1 303|digits:802:5|en|9
Philadelphia|United States|PHL|+1 215|digits:191:5|en|9
Vancouver|Canada|YVR|+1 604|ca:V|en|9
Montreal|Canada|YMQ|+1 514|ca:H|fr|9
Glasgow|United Kingdom|GLA|+44 141|uk:G|en|9
Bristol|United Kingdom|BRS|+44 117|uk:BS|en|8
Leeds|United Kingdom|LBA|+44 113|uk:LS|en|8
Liverpool|United Kingdom|LPL|+44 151|uk:L|en|8
Toulouse|France|TLS|+33 5|digits:31:5|fr|8
Bordeaux|France|BOD|+33 5|digits:33:5|fr|8
Nice|France|NCE|+33 4|digits:06:5|fr|8
Nantes|France|NTE|+33 2|digits:44:5|fr|8
Lille|France|LIL|+33 3|digits:59:5|fr|8
Strasbourg|France|SXB|+33 3|digits:67:5|fr|7
Bonn|Germany|BNJ|+49 228|digits:53:5|de|7
Mannheim|Germany|MHG|+49 621|digits:68:5|de|7
Karlsruhe|Germany|FKB|+49 721|digits:76:5|de|7
Freiburg|Germany|QFB|+49 761|digits:79:5|de|7
Heidelberg|Germany|HDB|+49 6221|digits:69:5|de|7
Münster|Germany|FMO|+49 251|digits:48:5|de|7
Augsburg|Germany|AGB|+49 821|digits:86:5|de|6
Kiel|Germany|KEL|+49 431|digits:24:5|de|6
Aachen|Germany|AAH|+49 241|digits:52:5|de|6
Mainz|Germany|QMZ|+49 6131|digits:55:5|de|6
Potsdam|Germany|XXP|+49 331|digits:14:5|de|6
Graz|Austria|GRZ|+43 316|digits:80:4|de|6
Salzburg|Austria|SZG|+43 662|digits:50:4|de|6
Linz|Austria|LNZ|+43 732|digits:40:4|de|5
Innsbruck|Austria|INN|+43 512|digits:60:4|de|5
Lausanne|Switzerland|QLS|+41 21|digits:10:4|fr|6
Lucerne|Switzerland|QLJ|+41 41|digits:60:4|de|5
The Hague|Netherlands|HAG|+31 70|nl:25|nl|7
Utrecht|Netherlands|UTC|+31 30|nl:35|nl|7
Eindhoven|Netherlands|EIN|+31 40|nl:56|nl|6
Groningen|Netherlands|GRQ|+31 50|nl:97|nl|5
Antwerp|Belgium|ANR|+32 3|digits:20:4|nl|7
Ghent|Belgium|GNE|+32 9|digits:90:4|nl|6
Luxembourg|Luxembourg|LUX|+352 2|digits:1:4|fr|5
Seville|Spain|SVQ|+34 95|digits:41:5|es|7
Bilbao|Spain|BIO|+34 94|digits:48:5|es|6
Malaga|Spain|AGP|+34 952|digits:29:5|es|6
Zaragoza|Spain|ZAZ|+34 976|digits:50:5|es|5
Porto|Portugal|OPO|+351 22|pt:40|pt|7
Florence|Italy|FLR|+39 055|digits:50:5|it|7
Bologna|Italy|BLQ|+39 051|digits:40:5|it|7
Venice|Italy|VCE|+39 041|digits:30:5|it|6
Genoa|Italy|GOA|+39 010|digits:16:5|it|5
Malmö|Sweden|MMX|+46 40|se:21|nordic|6
Aarhus|Denmark|AAR|+45 86|digits:80:4|nordic|6
Trondheim|Norway|TRD|+47 73|digits:70:4|nordic|5
Tampere|Finland|TMP|+358 3|digits:33:5|nordic|5
Reykjavik|Iceland|REK|+354 5|digits:10:3|nordic|4
Krakow|Poland|KRK|+48 12|pl:30|en|7
Wroclaw|Poland|WRO|+48 71|pl:50|en|6
Gdansk|Poland|GDN|+48 58|pl:80|en|5
Poznan|Poland|POZ|+48 61|pl:60|en|5
Brno|Czech Republic|BRQ|+420 5|se:60|en|5
Thessaloniki|Greece|SKG|+30 231|se:54|en|4
Ankara|Turkey|ESB|+90 312|digits:06:5|en|4
Izmir|Turkey|ADB|+90 232|digits:35:5|en|4
Bucharest|Romania|BUH|+40 21|digits:01:6|en|5
Moscow|Russia|MOW|+7 495|digits:10:6|en|5
Saint Petersburg|Russia|LED|+7 812|digits:19:6|en|4
Kyiv|Ukraine|IEV|+380 44|digits:01:5|en|4
Tel Aviv|Israel|TLV|+972 3|digits:61:7|en|5
Dubai|United Arab Emirates|DXB|+971 4|none|en|6
Cambridge|United Kingdom|CBG|+44 1223|uk:CB|en|5
Oxford|United Kingdom|OXF|+44 1865|uk:OX|en|5
Cork|Ireland|ORK|+353 21|ie:T|en|5
Calgary|Canada|YYC|+1 403|ca:T|en|5
Ottawa|Canada|YOW|+1 613|ca:K|en|5
San Diego|United States|SAN|+1 619|digits:921:5|en|6
Phoenix|United States|PHX|+1 602|digits:850:5|en|6
Portland|United States|PDX|+1 503|digits:972:5|en|6
Minneapolis|United States|MSP|+1 612|digits:554:5|en|5
Detroit|United States|DTT|+1 313|digits:482:5|en|5
Nashville|United States|BNA|+1 615|digits:372:5|en|5
Las Vegas|United States|LAS|+1 702|digits:891:5|en|5
Salt Lake City|United States|SLC|+1 801|digits:841:5|en|4
Pittsburgh|United States|PIT|+1 412|digits:152:5|en|4
Charlotte|United States|CLT|+1 704|digits:282:5|en|4
Raleigh|United States|RDU|+1 919|digits:276:5|en|4
Osaka|Japan|OSA|+81 6|jp:53|en|5
Seoul|South Korea|SEL|+82 2|digits:04:5|en|6
Beijing|China|BJS|+86 10|digits:10:6|en|5
Shanghai|China|SHA|+86 21|digits:20:6|en|6
Shenzhen|China|SZX|+86 755|digits:51:6|en|4
Hong Kong|Hong Kong|HKG|+852 2|none|en|6
Singapore|Singapore|SIN|+65 6|digits:01:6|en|8
Bangkok|Thailand|BKK|+66 2|digits:10:5|en|5
Kuala Lumpur|Malaysia|KUL|+60 3|digits:50:5|en|4
Jakarta|Indonesia|JKT|+62 21|digits:10:5|en|4
Manila|Philippines|MNL|+63 2|digits:10:4|en|4
Mumbai|India|BOM|+91 22|digits:40:6|en|7
Delhi|India|DEL|+91 11|digits:11:6|en|6
Bangalore|India|BLR|+91 80|digits:56:6|en|7
Chennai|India|MAA|+91 44|digits:60:6|en|4
Hyderabad|India|HYD|+91 40|digits:50:6|en|4
Taipei|Taiwan|TPE|+886 2|digits:10:5|en|4
Ho Chi Minh City|Vietnam|SGN|+84 28|digits:70:6|en|4
Hanoi|Vietnam|HAN|+84 24|digits:10:6|en|3
Melbourne|Australia|MEL|+61 3|digits:30:4|en|8
Brisbane|Australia|BNE|+61 7|digits:40:4|en|5
Perth|Australia|PER|+61 8|digits:60:4|en|4
Auckland|New Zealand|AKL|+64 9|digits:10:4|en|5
Wellington|New Zealand|WLG|+64 4|digits:60:4|en|3
Guadalajara|Mexico|GDL|+52 33|digits:44:5|es|4
Monterrey|Mexico|MTY|+52 81|digits:64:5|es|4
Rio de Janeiro|Brazil|RIO|+55 21|br:20|pt|6
Buenos Aires|Argentina|BUE|+54 11|digits:14:4|es|6
Santiago|Chile|SCL|+56 2|digits:83:7|es|4
Bogotá|Colombia|BOG|+57 1|digits:11:6|es|4
Lima|Peru|LIM|+51 1|digits:15:5|es|4
Montevideo|Uruguay|MVD|+598 2|digits:11:5|es|3
Johannesburg|South Africa|JNB|+27 11|digits:20:4|en|5
Cape Town|South Africa|CPT|+27 21|digits:80:4|en|5
Cairo|Egypt|CAI|+20 2|digits:11:5|en|3
Lagos|Nigeria|LOS|+234 1|digits:10:6|en|3
Nairobi|Kenya|NBO|+254 20|digits:00:5|en|3
Casablanca|Morocco|CAS|+212 522|digits:20:5|fr|3
`;

function parseCity(line: string): City {
  const [name, country, code, phone, postalSpec, lang, weight] = line.split('|');
  const [postal, postalPrefix = '', digits = '0'] = postalSpec.split(':');
  return {
    name,
    country,
    code,
    phone,
    postal: postal as PostalKind,
    postalPrefix,
    digits: Number(digits),
    lang: lang as StreetLang,
    weight: Number(weight),
  };
}

/** Cities, heaviest first (stable for equal weights). */
export const CITIES: readonly City[] = RAW.trim()
  .split('\n')
  .map(parseCity)
  .sort((a, b) => b.weight - a.weight);

/** Street names per language; every list has the same length so a flat array indexes by lang. */
export const STREETS: Record<StreetLang, readonly string[]> = {
  en: [
    'Main Street',
    'High Street',
    'Church Road',
    'Park Avenue',
    'Station Road',
    'Oak Lane',
    'Maple Avenue',
    'Victoria Road',
    'Elm Street',
    'King Street',
    'Queen Street',
    'Mill Lane',
    'Broadway',
    'Market Street',
    'Cedar Drive',
    'Lake View Road',
    'Hill Street',
    'Bridge Street',
    'Green Lane',
    'River Road',
  ],
  de: [
    'Hauptstraße',
    'Bahnhofstraße',
    'Schulstraße',
    'Gartenstraße',
    'Dorfstraße',
    'Bergstraße',
    'Lindenstraße',
    'Kirchstraße',
    'Friedrichstraße',
    'Goethestraße',
    'Schillerstraße',
    'Waldweg',
    'Am Markt',
    'Mozartstraße',
    'Ringstraße',
    'Rosenweg',
    'Birkenweg',
    'Kantstraße',
    'Mühlenweg',
    'Uhlandstraße',
  ],
  fr: [
    'Rue de la Paix',
    'Rue Victor Hugo',
    'Rue de Rivoli',
    'Boulevard Saint-Germain',
    'Rue du Moulin',
    "Rue de l'Église",
    'Place de la République',
    'Rue Jean Jaurès',
    'Avenue Foch',
    'Rue Pasteur',
    'Rue de la Gare',
    'Rue Nationale',
    'Boulevard Voltaire',
    'Rue des Lilas',
    'Rue du Château',
    'Rue Émile Zola',
    'Avenue de la Liberté',
    'Rue Saint-Honoré',
    'Rue Gambetta',
    'Allée des Tilleuls',
  ],
  es: [
    'Calle Mayor',
    'Gran Vía',
    'Calle de Alcalá',
    'Avenida de la Constitución',
    'Calle Real',
    'Plaza Mayor',
    'Calle del Sol',
    'Avenida de América',
    'Calle de la Luna',
    'Paseo de la Castellana',
    'Calle San Juan',
    'Calle Nueva',
    'Avenida del Mar',
    'Calle de Serrano',
    'Rambla de Catalunya',
    'Calle Colón',
    'Calle Larios',
    'Calle Ancha',
    'Camino Real',
    'Calle de Toledo',
  ],
  pt: [
    'Rua Augusta',
    'Avenida da Liberdade',
    'Rua das Flores',
    'Avenida Paulista',
    'Rua Direita',
    'Rua do Ouro',
    'Rua da Prata',
    'Praça do Comércio',
    'Rua Garrett',
    'Avenida Atlântica',
    'Rua Oscar Freire',
    'Rua da Consolação',
    'Avenida Brasil',
    'Rua de Santa Catarina',
    'Rua do Carmo',
    'Largo do Chiado',
    'Rua Nova',
    'Rua São Bento',
    'Avenida dos Aliados',
    'Rua da Alegria',
  ],
  it: [
    'Via Roma',
    'Via Garibaldi',
    'Corso Italia',
    'Via Mazzini',
    'Via Dante',
    'Piazza del Duomo',
    'Via Verdi',
    'Corso Vittorio Emanuele',
    'Via Cavour',
    'Via Nazionale',
    'Via dei Mille',
    'Viale Europa',
    'Via Marconi',
    'Via San Marco',
    'Via della Repubblica',
    'Via Manzoni',
    'Via Torino',
    'Via XX Settembre',
    'Via del Corso',
    'Via Po',
  ],
  nl: [
    'Kerkstraat',
    'Dorpsstraat',
    'Stationsweg',
    'Molenweg',
    'Nieuwstraat',
    'Prinsengracht',
    'Keizersgracht',
    'Damrak',
    'Hoofdstraat',
    'Markt',
    'Langestraat',
    'Schoolstraat',
    'Julianastraat',
    'Beatrixlaan',
    'Parkweg',
    'Wilhelminastraat',
    'Herengracht',
    'Kanaalweg',
    'Lindenlaan',
    'Zeestraat',
  ],
  nordic: [
    'Storgatan',
    'Drottninggatan',
    'Kungsgatan',
    'Vesterbrogade',
    'Strøget',
    'Nørregade',
    'Karl Johans gate',
    'Bogstadveien',
    'Torggata',
    'Mannerheimintie',
    'Aleksanterinkatu',
    'Sveavägen',
    'Havnegade',
    'Bryggen',
    'Laugavegur',
    'Hämeenkatu',
    'Vasagatan',
    'Østergade',
    'Kirkegata',
    'Skolegatan',
  ],
};
