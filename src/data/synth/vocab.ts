// Vocabulary of the email generator: people, organisations, goods and services from many regions and trades.
// Breadth here is what keeps a model from learning "Anna from Acme sells a blender" instead of the task.

/** First and last names, grouped by region so that most people get a name that belongs together. */
export const NAMES: { first: string[]; last: string[] }[] = [
  { first: ['Emma', 'Oliver', 'Charlotte', 'Harry', 'Sophie', 'Jack', 'Megan', 'Tom', 'Rachel', 'Dan', 'Lucy', 'Gareth', 'Fiona', 'Callum'], last: ['Smith', 'Jones', 'Taylor', 'Brown', 'Walsh', 'Evans', 'Hughes', 'MacLeod', 'Fletcher', "O'Brien", 'Murphy', 'Clarke'] },
  { first: ['Jennifer', 'Mike', 'Ashley', 'Tyler', 'Brianna', 'Kevin', 'Jessica', 'Marcus', 'Kayla', 'Derek', 'Shanice', 'Brandon'], last: ['Johnson', 'Williams', 'Miller', 'Davis', 'Anderson', 'Washington', 'Thompson', 'Robinson', 'Carter', 'Hayes'] },
  { first: ['José', 'María', 'Javier', 'Lucía', 'Alejandro', 'Carmen', 'Diego', 'Valentina', 'Sofía', 'Andrés', 'Camila'], last: ['García', 'Fernández', 'López', 'Martínez', 'Rodríguez', 'Sánchez', 'Pérez', 'Gómez', 'Herrera', 'Castillo'] },
  { first: ['João', 'Ana', 'Pedro', 'Beatriz', 'Rafael', 'Mariana', 'Thiago', 'Larissa'], last: ['Silva', 'Santos', 'Oliveira', 'Souza', 'Costa', 'Pereira', 'Almeida', 'Ferreira'] },
  { first: ['Camille', 'Julien', 'Élodie', 'Mathieu', 'Chloé', 'Nicolas', 'Amélie', 'Thibault', 'Manon'], last: ['Dubois', 'Moreau', 'Lefèvre', 'Laurent', 'Girard', 'Bonnet', 'Rousseau', 'Fontaine'] },
  { first: ['Lukas', 'Anna', 'Jürgen', 'Katrin', 'Felix', 'Sabine', 'Maximilian', 'Lena', 'Jörg', 'Ute'], last: ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Becker', 'Hoffmann', 'Schäfer', 'Krüger'] },
  { first: ['Giulia', 'Marco', 'Francesca', 'Luca', 'Chiara', 'Alessandro', 'Federica', 'Matteo'], last: ['Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci'] },
  { first: ['Łukasz', 'Agnieszka', 'Piotr', 'Katarzyna', 'Tomasz', 'Magdalena', 'Michał', 'Zofia'], last: ['Kowalski', 'Nowak', 'Wiśniewski', 'Wójcik', 'Kamińska', 'Lewandowski', 'Zielińska'] },
  { first: ['Jan', 'Tereza', 'Ondřej', 'Lucie', 'Petr', 'Eva'], last: ['Novák', 'Svoboda', 'Dvořák', 'Černá', 'Procházka', 'Kučera'] },
  { first: ['Sanne', 'Daan', 'Femke', 'Joris', 'Lotte', 'Bram'], last: ['de Vries', 'Jansen', 'van Dijk', 'Bakker', 'Visser', 'Smit'] },
  { first: ['Søren', 'Ingrid', 'Lars', 'Astrid', 'Mikael', 'Sigrid', 'Henrik', 'Aino', 'Jussi'], last: ['Jensen', 'Nielsen', 'Andersson', 'Johansson', 'Lindqvist', 'Hansen', 'Virtanen', 'Korhonen'] },
  { first: ['Mehmet', 'Ayşe', 'Emre', 'Zeynep', 'Burak', 'Elif'], last: ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Öztürk'] },
  { first: ['Omar', 'Fatima', 'Youssef', 'Layla', 'Khalid', 'Noor', 'Karim', 'Amira'], last: ['Haddad', 'Al-Farsi', 'Mansour', 'Khalil', 'Nasser', 'El-Amin', 'Saleh'] },
  { first: ['Reza', 'Shirin', 'Dariush', 'Leila'], last: ['Hosseini', 'Tehrani', 'Karimi', 'Moradi'] },
  { first: ['Priya', 'Rahul', 'Ananya', 'Vikram', 'Deepa', 'Arjun', 'Sneha', 'Rohit', 'Lakshmi', 'Suresh'], last: ['Sharma', 'Patel', 'Iyer', 'Reddy', 'Gupta', 'Nair', 'Menon', 'Krishnan', 'Banerjee', 'Singh'] },
  { first: ['Tanvir', 'Nusrat', 'Farhan', 'Sadia'], last: ['Rahman', 'Hossain', 'Chowdhury', 'Islam'] },
  { first: ['Wei', 'Li Na', 'Jun', 'Xiaoming', 'Mei', 'Hao', 'Yan'], last: ['Chen', 'Wang', 'Zhang', 'Liu', 'Huang', 'Zhou', 'Lin'] },
  { first: ['Kenji', 'Yuki', 'Haruto', 'Aiko', 'Takeshi', 'Sakura'], last: ['Tanaka', 'Suzuki', 'Sato', 'Watanabe', 'Yamamoto', 'Kobayashi'] },
  { first: ['Min-jun', 'Ji-woo', 'Seo-yeon', 'Hyun'], last: ['Kim', 'Park', 'Lee', 'Choi'] },
  { first: ['Linh', 'Minh', 'Thao', 'Quang'], last: ['Nguyen', 'Tran', 'Le', 'Pham'] },
  { first: ['Maria Clara', 'Jerome', 'Angelica', 'Paolo'], last: ['Santos', 'Reyes', 'Dela Cruz', 'Bautista'] },
  { first: ['Putri', 'Budi', 'Dewi', 'Agus'], last: ['Wijaya', 'Santoso', 'Pratama', 'Hidayat'] },
  { first: ['Chinedu', 'Ngozi', 'Oluwaseun', 'Funmilayo', 'Emeka', 'Adaeze', 'Tunde'], last: ['Okafor', 'Adeyemi', 'Okonkwo', 'Balogun', 'Eze', 'Adebayo'] },
  { first: ['Wanjiru', 'Kamau', 'Achieng', 'Otieno'], last: ['Mwangi', 'Odhiambo', 'Kariuki', 'Njoroge'] },
  { first: ['Kwame', 'Ama', 'Kofi', 'Abena'], last: ['Mensah', 'Asante', 'Boateng', 'Owusu'] },
  { first: ['Sipho', 'Thandi', 'Pieter', 'Lerato'], last: ['Dlamini', 'Nkosi', 'van der Merwe', 'Mokoena'] },
  { first: ['Dmitri', 'Olga', 'Andriy', 'Natalia', 'Sergei', 'Oksana'], last: ['Ivanov', 'Petrova', 'Shevchenko', 'Kovalenko', 'Smirnov', 'Bondarenko'] },
  { first: ['Nikos', 'Eleni', 'Giorgos', 'Katerina'], last: ['Papadopoulos', 'Georgiou', 'Nikolaou', 'Vlachou'] },
  { first: ['Bence', 'Zsófia', 'Andrei', 'Ioana'], last: ['Nagy', 'Kovács', 'Popescu', 'Ionescu'] },
  { first: ['Noa', 'Yael', 'Eitan', 'Avi'], last: ['Cohen', 'Levi', 'Mizrahi', 'Friedman'] },
  { first: ['Aroha', 'Liam', 'Mia', 'Nikau'], last: ['Ngata', 'Walker', 'Parata', 'Thompson'] },
];

export const JOB_TITLES = [
  'Accounts Receivable', 'Finance Manager', 'Credit Controller', 'Office Manager', 'Customer Success Manager', 'Head of Operations',
  'Sales Coordinator', 'Purchasing Officer', 'Procurement Lead', 'Bookkeeper', 'Billing Specialist', 'Customer Care Agent',
  'Support Engineer', 'IT Helpdesk', 'Property Manager', 'Founder', 'Director', 'Freelance Designer', 'Project Manager',
  'Logistics Coordinator', 'Warehouse Supervisor', 'Account Executive', 'Practice Manager', 'Senior Consultant', 'CFO',
  'Team Assistant', 'Operations Analyst', 'Studio Manager', 'Technical Lead', 'Events Coordinator',
];

/** Stems for invented organisation names from many languages. */
export const ORG_STEMS = [
  'Acme', 'Northwind', 'Bluebird', 'Nordlicht', 'Sakura', 'Baobab', 'Zephyr', 'Lumen', 'Kestrel', 'Alder', 'Vantaa', 'Solvik',
  'Mistral', 'Harbour', 'Cedar', 'Tamarind', 'Orbit', 'Pinnacle', 'Quokka', 'Aurora', 'Basalt', 'Kite', 'Saffron', 'Meridian',
  'Fjord', 'Tulip', 'Olivo', 'Sierra', 'Koru', 'Banyan', 'Helios', 'Granite', 'Wren', 'Mosaic', 'Ubuntu', 'Jacaranda', 'Lotus',
  'Atlas', 'Kettle', 'Nimbus', 'Falke', 'Brightwater', 'Riverside', 'Greenleaf', 'Silverline', 'Hanse', 'Rialto', 'Tiber',
  'Vistula', 'Danube', 'Amstel', 'Gobi', 'Andes', 'Kilimanjaro', 'Mekong', 'Fuji', 'Kaveri', 'Sahel', 'Pampas', 'Tundra',
];
export const ORG_SUFFIXES = ['Ltd', 'Ltd.', 'LLC', 'Inc.', 'GmbH', 'S.A.', 'SRL', 'S.p.A.', 'BV', 'AB', 'Oy', 'Pvt Ltd', 'Pty Ltd', 'Sp. z o.o.', 's.r.o.', 'K.K.', 'SAS', '& Co', '', '', '', ''];

/**
 * Trades that sell goods: the shop's name and what it sells belong together, so "Nordlicht Furniture" ships a
 * wardrobe, not a vitamin.
 */
export const SHOP_TRADES: { words: string[]; goods: string[] }[] = [
  { words: ['Electronics', 'Tech', 'Digital', 'Gadgets'], goods: ['wireless headphones', 'USB-C hub', '27-inch monitor', 'mechanical keyboard', 'power bank', 'smart speaker', 'e-reader', 'webcam', 'robot vacuum', 'Bluetooth speaker', 'tablet case', 'graphics card', 'router', 'SSD drive', 'smartwatch strap'] },
  { words: ['Furniture', 'Home', 'Interiors', 'Living'], goods: ['oak dining table', 'three-seater sofa', 'wardrobe', 'bookcase', 'bed frame', 'office chair', 'standing desk', 'rug', 'floor lamp', 'bar stools', 'mattress', 'chest of drawers', 'garden bench'] },
  { words: ['Groceries', 'Market', 'Foods', 'Fresh'], goods: ['weekly vegetable box', 'coffee beans', 'olive oil (5 l)', 'rice (10 kg)', 'baby formula', 'oat milk (case of 12)', 'spice set', 'meal kit', 'fruit basket', 'sourdough starter kit'] },
  { words: ['Fashion', 'Apparel', 'Outfitters', 'Wear'], goods: ['winter jacket', 'running shoes', 'linen shirt', 'wool scarf', 'rain boots', 'denim jeans', 'school uniform', 'leather belt', 'hiking socks', 'summer dress'] },
  { words: ['Books', 'Stationery', 'Paper Co'], goods: ['notebook set', 'fountain pen', 'wall calendar', 'art prints', 'cookbook', 'children’s atlas', 'planner', 'box of envelopes'] },
  { words: ['Garden', 'DIY', 'Hardware', 'Tools'], goods: ['cordless drill', 'garden hose', 'lawn mower', 'paint (10 l)', 'ladder', 'raised bed kit', 'tile cutter', 'set of spanners', 'compost bin', 'patio heater'] },
  { words: ['Office Supplies', 'Business Supplies', 'Wholesale', 'Trade Supplies'], goods: ['toner cartridges', 'boxes of A4 paper', 'safety gloves', 'pallet of cardboard boxes', 'hydraulic fittings', 'LED panels', 'cable ties', 'hi-vis vests', 'label printer rolls', 'cleaning supplies', 'packing tape', 'stainless steel bolts'] },
  { words: ['Kitchen', 'Cookware', 'Homeware'], goods: ['cast iron pan', 'coffee grinder', 'stand mixer', 'knife set', 'espresso machine', 'blender', 'kettle', 'dinner plates', 'air fryer'] },
  { words: ['Sports', 'Outdoor', 'Cycles'], goods: ['bike helmet', 'yoga mat', 'tent', 'kayak paddle', 'dumbbells', 'e-bike battery', 'climbing shoes', 'sleeping bag', 'tennis racket'] },
  { words: ['Pets', 'Pet Supplies'], goods: ['dog bed', 'cat food (12 kg)', 'aquarium filter', 'bird cage', 'dog harness', 'cat tree'] },
  { words: ['Beauty', 'Pharmacy', 'Wellness'], goods: ['vitamin D drops', 'face cream', 'electric toothbrush', 'hair dryer', 'sunscreen', 'first aid kit'] },
  { words: ['Toys', 'Kids'], goods: ['wooden train set', 'LEGO set', 'baby stroller', 'car seat', 'board game', 'kids’ scooter'] },
  { words: ['Auto Parts', 'Motors', 'Tyres'], goods: ['set of winter tyres', 'brake pads', 'car battery', 'roof box', 'wiper blades', 'dash cam'] },
];

/**
 * Trades that bill for services: utilities, telecoms, SaaS, rent, subscriptions, freelancers, professionals. The
 * provider's name and the service go together, as with shops.
 */
export const SERVICE_TRADES: { words: string[]; services: string[] }[] = [
  { words: ['Energy', 'Power', 'Gas & Electric'], services: ['electricity', 'gas supply', 'dual fuel plan', 'district heating', 'solar feed-in'] },
  { words: ['Water', 'Utilities'], services: ['water and sewerage', 'waste collection', 'water supply'] },
  { words: ['Telecom', 'Mobile', 'Fibre', 'Broadband'], services: ['broadband', 'mobile plan', 'fibre internet', 'landline and TV bundle', 'business phone lines'] },
  { words: ['Cloud', 'Software', 'Labs', 'Analytics', 'CRM'], services: ['Pro plan (10 seats)', 'cloud hosting', 'CRM licence', 'backup storage', 'email marketing plan', 'design tool seats', 'accounting software', 'domain renewal', 'website hosting'] },
  { words: ['Properties', 'Lettings', 'Estates', 'Housing'], services: ['rent', 'service charge', 'parking space', 'storage unit', 'office lease', 'deposit'] },
  { words: ['Fitness', 'Club', 'Studio'], services: ['gym membership', 'swimming lessons', 'yoga classes', 'personal training'] },
  { words: ['Media', 'Press', 'Streaming'], services: ['newspaper subscription', 'streaming plan', 'magazine subscription', 'audiobook membership'] },
  { words: ['Consulting', 'Advisory', 'Partners'], services: ['consulting', 'bookkeeping', 'payroll services', 'tax return preparation', 'legal advice', 'audit fee', 'recruitment fee'] },
  { words: ['Design', 'Creative', 'Photography', 'Translations'], services: ['logo design', 'photography', 'translation', 'copywriting', 'video editing', 'web design', 'illustrations', 'wedding photography'] },
  { words: ['Cleaning', 'Facilities', 'Maintenance'], services: ['office cleaning', 'window cleaning', 'boiler service', 'lawn care', 'pest control', 'lift maintenance', 'security guarding'] },
  { words: ['IT Services', 'Networks', 'Systems'], services: ['IT support retainer', 'network installation', 'managed backup', 'laptop repairs'] },
  { words: ['Academy', 'School', 'Tutoring'], services: ['tuition', 'after-school club', 'language course', 'exam fees', 'piano lessons'] },
  { words: ['Clinic', 'Dental', 'Physio', 'Vets'], services: ['dental check-up', 'physiotherapy sessions', 'vet treatment', 'eye test'] },
  { words: ['Insurance', 'Assurance'], services: ['home insurance', 'car insurance premium', 'travel insurance', 'liability cover'] },
  { words: ['Builders', 'Construction', 'Roofing', 'Plumbing'], services: ['kitchen refit', 'roof repairs', 'bathroom renovation', 'extension works', 'emergency plumbing call-out'] },
  { words: ['Coworking', 'Workspace'], services: ['hot desk membership', 'meeting room hire', 'private office'] },
  { words: ['Logistics', 'Freight', 'Couriers'], services: ['freight forwarding', 'warehousing', 'customs clearance', 'same-day courier runs'] },
];

/** Things a person books rather than buys off a shelf (the rule counts a booking's status as "order"). */
export const BOOKINGS = [
  'flight to {city}', 'return train to {city}', 'hotel room in {city}', 'table for {qty} on Saturday', 'two concert tickets', 'car hire in {city}',
  'ferry crossing', 'skip hire', 'campsite pitch', 'museum tickets', 'theatre tickets', 'airport transfer', 'holiday cottage', 'van hire',
  'bike rental', 'cooking class for two', 'stadium tickets', 'spa day for two', 'guided tour of {city}', 'bus tickets to {city}',
];

export const CITIES = [
  'Lisbon', 'Kraków', 'Nairobi', 'Osaka', 'Manchester', 'Lyon', 'Porto', 'Bengaluru', 'Toronto', 'Melbourne', 'Seville', 'Gdańsk',
  'Istanbul', 'Accra', 'Hanoi', 'Rotterdam', 'Bergen', 'Bologna', 'Cape Town', 'Dubai', 'Montréal', 'Chicago', 'Edinburgh', 'Munich',
  'Tallinn', 'Valparaíso', 'Lagos', 'Seoul', 'Cork', 'Marrakesh', 'São Paulo', 'Auckland', 'Thessaloniki', 'Brno', 'Cluj',
];

export const CARRIERS = [
  'DHL', 'UPS', 'FedEx', 'DPD', 'GLS', 'Royal Mail', 'Evri', 'PostNL', 'La Poste', 'Colissimo', 'Correos', 'InPost', 'USPS',
  'Canada Post', 'Australia Post', 'Japan Post', 'Blue Dart', 'Aramex', 'Poczta Polska', 'Deutsche Post', 'Bring', 'PostNord',
  'our own delivery team', 'a two-person furniture crew', 'the courier',
];

/** Brands that phishing mails imitate (the rule says spam whatever the mail imitates). */
export const BRANDS = [
  'PayPal', 'Netflix', 'Apple', 'Microsoft 365', 'Amazon', 'DHL', 'Royal Mail', 'USPS', 'HMRC', 'the IRS', 'Chase', 'Santander', 'ING',
  'Revolut', 'Coinbase', 'Instagram', 'WhatsApp', 'DocuSign', 'Dropbox', 'Norton', 'McAfee', 'Geek Squad', 'Spotify', 'Binance',
  'your bank', 'Outlook Web Access', 'Webmail Admin', 'FedEx', 'Post Office', 'Disney+', 'eBay', 'Booking.com', 'Airbnb',
];
export const BRAND_MISSPELT = ['PayPaI', 'Netfl1x', 'Amaz0n', 'Micr0soft', 'App1e ID', 'D-H-L', 'Paypal Service', 'NetfIix', 'Wells Farqo', 'Coinbasse', 'Roya1 Mail'];

export const APPS = [
  'the mobile app', 'the desktop app', 'the web dashboard', 'the customer portal', 'your booking app', 'the Android app', 'the iOS app',
  'the admin panel', 'the browser extension', 'the self-service portal', 'the POS terminal', 'the smart thermostat app', 'the banking app',
];
export const FEATURES = [
  'the export to CSV button', 'two-factor login', 'the calendar sync', 'the invoices page', 'dark mode', 'the search bar', 'file upload',
  'the password reset link', 'notifications', 'the checkout page', 'the reports tab', 'user invitations', 'the scheduling screen',
  'the printing option', 'the bank feed', 'offline mode', 'the photo backup', 'single sign-on',
];
export const ERRORS = [
  'Error 500', '"Something went wrong"', 'ERR_CONNECTION_RESET', 'error code 0x80070005', '"session expired"', 'a blank white page',
  '"invalid credentials"', '"payment method declined"', 'error 403 forbidden', '"unable to sync, try again later"', 'a spinning wheel forever',
  '"account locked"', 'E-17', '"license not found"', '"upload failed (413)"',
];
export const DEVICES = [
  'iPhone 13', 'Samsung Galaxy', 'Windows 11 laptop', 'MacBook', 'Chromebook', 'iPad', 'Pixel phone', 'work laptop', 'smart TV',
  'Wi-Fi router', 'printer', 'thermostat', 'e-bike', 'washing machine', 'dishwasher', 'robot vacuum', 'coffee machine', 'dash cam',
];
/** What a tenant, guest or employee reports as broken. */
export const FIXTURES = [
  'boiler', 'heating', 'shower', 'front door lock', 'kitchen tap', 'smoke alarm', 'extractor fan', 'window latch', 'Wi-Fi in room {qty}12',
  'air conditioning', 'lift', 'entry buzzer', 'oven', 'radiator in the bedroom', 'toilet cistern', 'VPN', 'printer on the 2nd floor',
  'shared drive access', 'badge reader', 'meeting room screen',
];

export const DRUGS = ['V1agra', 'Cialis', 'weight-loss pills', 'Xanax', 'testosterone boosters', 'keto gummies', 'CBD oil', 'hair regrowth serum'];
export const COINS = ['Bitcoin', 'Ethereum', 'a new AI token', 'USDT', 'Solana', 'a presale coin', 'forex signals', 'gold-backed tokens'];
export const NICHES = ['SEO', 'web design', 'app development', 'lead generation', 'Google Maps ranking', 'backlinks', 'social media management', 'bookkeeping outsourcing', 'B2B contact lists'];
export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export const TLDS = ['.xyz', '.top', '.info', '.online', '.support', '.click', '.live', '-secure.com', '-verify.net', '.co', '.site', '.ru', '.cn'];
