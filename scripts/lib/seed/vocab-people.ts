// Name lists for people. Lists are ordered most common first: the generator draws indexes
// skewed towards 0, so early entries repeat the way common names do in real customer data.

export const FEMALE_FIRST_NAMES = [
  'Maria', 'Anna', 'Sarah', 'Laura', 'Emma', 'Julia', 'Sophie', 'Lisa', 'Emily', 'Hannah',
  'Olivia', 'Mia', 'Lena', 'Elena', 'Sofia', 'Jessica', 'Jennifer', 'Lea', 'Katharina', 'Claire',
  'Charlotte', 'Isabella', 'Amelia', 'Chloe', 'Camille', 'Lucia', 'Paula', 'Nina', 'Eva', 'Marie',
  'Alice', 'Clara', 'Johanna', 'Elizabeth', 'Michelle', 'Amanda', 'Ashley', 'Stephanie', 'Nicole', 'Rachel',
  'Ana', 'Carmen', 'Isabel', 'Martina', 'Giulia', 'Francesca', 'Chiara', 'Ingrid', 'Astrid', 'Freya',
  'Sanne', 'Femke', 'Fatma', 'Ayşe', 'Zeynep', 'Yuki', 'Sakura', 'Mei', 'Priya', 'Ananya',
  'Aisha', 'Fatima', 'Leila', 'Olga', 'Natalia', 'Katarzyna', 'Agnieszka', 'Zuzana', 'Petra', 'Monika',
  'Hélène', 'Amélie', 'Léa', 'Manon', 'Inès', 'Zoë', 'Greta', 'Frida', 'Matilda', 'Ida',
  'Grace', 'Ruby', 'Ella', 'Ava', 'Harper', 'Victoria', 'Rebecca', 'Megan', 'Lauren', 'Samantha',
  'Beatriz', 'Mariana', 'Gabriela', 'Valentina', 'Camila', 'Daniela', 'Andrea', 'Sara', 'Noor', 'Selin',
];

export const MALE_FIRST_NAMES = [
  'Michael', 'Thomas', 'David', 'Daniel', 'Alexander', 'James', 'John', 'Paul', 'Peter', 'Andreas',
  'Lukas', 'Jonas', 'Maximilian', 'Felix', 'Leon', 'Stefan', 'Christian', 'Martin', 'Markus', 'Tobias',
  'Robert', 'William', 'Richard', 'Joseph', 'Charles', 'Christopher', 'Matthew', 'Anthony', 'Mark', 'Steven',
  'José', 'Juan', 'Carlos', 'Luis', 'Javier', 'Miguel', 'Antonio', 'Pablo', 'Diego', 'Alejandro',
  'Marco', 'Luca', 'Matteo', 'Giuseppe', 'Francesco', 'Lorenzo', 'Pierre', 'Louis', 'Hugo', 'Antoine',
  'Nicolas', 'Julien', 'François', 'Lars', 'Erik', 'Magnus', 'Olav', 'Sven', 'Jan', 'Piotr',
  'Tomasz', 'Krzysztof', 'Pavel', 'Jakub', 'Mehmet', 'Mustafa', 'Ahmed', 'Mohammed', 'Omar', 'Ali',
  'Hiroshi', 'Kenji', 'Takeshi', 'Wei', 'Jun', 'Raj', 'Arjun', 'Rahul', 'Ivan', 'Dmitri',
  'Sebastian', 'Benjamin', 'Samuel', 'Noah', 'Liam', 'Oliver', 'Ethan', 'Henry', 'George', 'Jack',
  'Bram', 'Sem', 'Daan', 'Jörg', 'Jürgen', 'Björn', 'Søren', 'Mateus', 'Rafael', 'Gabriel',
];

// Real surnames from many countries, most common first.
export const SURNAMES = [
  'Müller', 'Smith', 'Schmidt', 'Garcia', 'Johnson', 'Schneider', 'Martin', 'Rossi', 'Fischer', 'Williams',
  'Weber', 'Brown', 'Meyer', 'Jones', 'Wagner', 'Rodriguez', 'Becker', 'Miller', 'Schulz', 'Davis',
  'Hoffmann', 'Bernard', 'Martinez', 'Schäfer', 'Wilson', 'Koch', 'Dubois', 'Lopez', 'Bauer', 'Anderson',
  'Richter', 'Taylor', 'Klein', 'Thomas', 'Wolf', 'Moore', 'Schröder', 'Jackson', 'Neumann', 'White',
  'Schwarz', 'Harris', 'Zimmermann', 'Thompson', 'Braun', 'Robinson', 'Krüger', 'Lewis', 'Hofmann', 'Walker',
  'Hartmann', 'Young', 'Lange', 'Allen', 'Schmitt', 'King', 'Werner', 'Wright', 'Schmitz', 'Scott',
  'Krause', 'Green', 'Meier', 'Baker', 'Lehmann', 'Adams', 'Schmid', 'Nelson', 'Schulze', 'Hill',
  'Maier', 'Campbell', 'Köhler', 'Mitchell', 'Herrmann', 'Roberts', 'König', 'Carter', 'Walter', 'Phillips',
  'Mayer', 'Evans', 'Huber', 'Turner', 'Kaiser', 'Torres', 'Fuchs', 'Parker', 'Peters', 'Collins',
  'Lang', 'Edwards', 'Scholz', 'Stewart', 'Möller', 'Morris', 'Weiß', 'Murphy', 'Jung', 'Cook',
  'Hahn', 'Rogers', 'Schubert', 'Morgan', 'Vogel', 'Peterson', 'Friedrich', 'Cooper', 'Keller', 'Reed',
  'Günther', 'Bailey', 'Frank', 'Bell', 'Berger', 'Gomez', 'Winkler', 'Kelly', 'Roth', 'Howard',
  'Beck', 'Ward', 'Lorenz', 'Cox', 'Baumann', 'Diaz', 'Franke', 'Richardson', 'Albrecht', 'Wood',
  'Ludwig', 'Watson', 'Winter', 'Brooks', 'Simon', 'Bennett', 'Kraus', 'Gray', 'Martens', 'James',
  'Schumacher', 'Hughes', 'Krämer', 'Price', 'Vogt', 'Sanders', 'Stein', 'Myers', 'Jäger', 'Long',
  'Otto', 'Ross', 'Sommer', 'Foster', 'Groß', 'Sanchez', 'Seidel', 'Perez', 'Heinrich', 'Ramirez',
  'Brandt', 'Hernandez', 'Haas', 'Gonzalez', 'Schreiber', 'Fernandez', 'Graf', 'Moreno', 'Dietrich', 'Ruiz',
  'Ziegler', 'Alvarez', 'Kuhn', 'Romero', 'Kühn', 'Navarro', 'Pohl', 'Bianchi', 'Engel', 'Romano',
  'Horn', 'Colombo', 'Busch', 'Ricci', 'Bergmann', 'Marino', 'Thomsen', 'Greco', 'Pfeiffer', 'Bruno',
  'Voigt', 'Gallo', 'Sauer', 'Conti', 'Arnold', 'De Luca', 'Wolff', 'Costa', 'Pfeifer', 'Esposito',
  'Petit', 'Durand', 'Leroy', 'Moreau', 'Laurent', 'Lefebvre', 'Michel', 'Garnier', 'Fournier', 'Girard',
  'Lambert', 'Rousseau', 'Blanc', 'Guerin', 'Muller', 'Henry', 'Roussel', 'Nicolas', 'Perrin', 'Morin',
  'De Jong', 'Jansen', 'De Vries', 'Van den Berg', 'Van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer',
  'Johansson', 'Andersson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson', 'Gustafsson',
  'Hansen', 'Jensen', 'Nielsen', 'Pedersen', 'Andersen', 'Christensen', 'Larsen', 'Sørensen', 'Rasmussen', 'Johansen',
  'Nowak', 'Kowalski', 'Wiśniewski', 'Wójcik', 'Kowalczyk', 'Kamiński', 'Lewandowski', 'Zieliński', 'Novák', 'Svoboda',
  'Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Öztürk', 'Aydın', 'Arslan', 'Doğan', 'Kılıç',
  'Wang', 'Li', 'Zhang', 'Liu', 'Chen', 'Yang', 'Huang', 'Zhao', 'Wu', 'Zhou',
  'Kim', 'Lee', 'Park', 'Choi', 'Nguyen', 'Tran', 'Sato', 'Suzuki', 'Takahashi', 'Tanaka',
  'Patel', 'Singh', 'Kumar', 'Sharma', 'Gupta', 'Khan', 'Ivanov', 'Petrov', 'Smirnov', "O'Brien",
];

// Syllables for generated surnames (prefix + middle + suffix): tens of thousands of
// distinct, plausible names that give last-name search a long tail.
export const SURNAME_PREFIXES = [
  'Ber', 'Wal', 'Hol', 'Kra', 'Lin', 'Mar', 'Ros', 'Sta', 'Bran', 'Fel',
  'Gut', 'Har', 'Kel', 'Lau', 'Mol', 'Nor', 'Ost', 'Pet', 'Rei', 'Sand',
  'Schu', 'Stein', 'Thal', 'Vog', 'Wen', 'Win', 'Zim', 'Ash', 'Black', 'Brad',
  'Chal', 'Dun', 'Ell', 'Fair', 'Green', 'Hart', 'Kings', 'Lang', 'Mor', 'Pen',
  'Ring', 'Stan', 'Thorn', 'Wick', 'Al', 'Bel', 'Cor', 'Dal', 'Fer', 'Gal',
  'Lom', 'Mon', 'Pal', 'Ser', 'Val', 'Bor', 'Dub', 'Kov', 'Nov', 'Sol',
];
export const SURNAME_MIDDLES = [
  '', '', '', 'en', 'er', 'in', 'an', 'el', 'ing', 'o',
  'a', 'is', 'ert', 'and', 'on', 'ers', 'i', 'es', 'ow', 'ham',
];
export const SURNAME_SUFFIXES = [
  'son', 'sen', 'mann', 'berg', 'stein', 'feld', 'hoff', 'ner', 'ler', 'ski',
  'ska', 'ov', 'ova', 'ic', 'ez', 'es', 'ini', 'elli', 'ardi', 'ton',
  'ley', 'wood', 'field', 'ford', 'worth', 'by', 'well', 'ridge', 'dale', 'more',
  'ing', 'er', 's', 'ard', 'ot', 'eau', 'aux', 'quist', 'lund', 'gren',
];

export const EMAIL_DOMAINS = [
  'gmail.com', 'outlook.com', 'yahoo.com', 'hotmail.com', 'icloud.com', 'gmx.de', 'web.de',
  't-online.de', 'proton.me', 'aol.com', 'orange.fr', 'free.fr', 'libero.it', 'live.com',
  'mail.com', 'msn.com', 'yandex.ru', 'zoho.com', 'fastmail.com', 'btinternet.com',
  'comcast.net', 'qq.com', 'naver.com', 'seznam.cz', 'wp.pl',
];

const FOLD: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', ł: 'l', ı: 'i', đ: 'd', œ: 'oe' };

/** Lower-case ASCII form of a name for e-mail addresses ("Müller" → "muller", "O'Brien" → "obrien"). */
export function asciiSlug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[ßøæłıđœ]/g, (c) => FOLD[c])
    .normalize('NFD')
    .replace(/[^a-z0-9]/g, '');
}
