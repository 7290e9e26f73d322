package graphsim

// Word lists for the demo and large generators (generate.go). Order matters:
// generation indexes into them, so changing a list changes every generated
// tenant (ids stay seeded, names move).

var givenNames = []string{
	"Adele", "Alex", "Allan", "Amara", "Ana", "Andrei", "Anna", "Arjun", "Ben", "Bianca",
	"Carlos", "Chen", "Chloe", "Christie", "Daniel", "Diego", "Elena", "Emily", "Enrico", "Fatima",
	"Felix", "Grace", "Hannah", "Henrik", "Hiroshi", "Ines", "Irvin", "Isaiah", "Jana", "Johanna",
	"Joni", "Jordan", "Julia", "Kenji", "Lars", "Laura", "Lee", "Lena", "Lidia", "Lucas",
	"Lynne", "Maya", "Megan", "Miriam", "Mohammed", "Nadia", "Nestor", "Nina", "Noah", "Olga",
	"Omar", "Patti", "Pedro", "Pradeep", "Priya", "Rafael", "Rosa", "Ruth", "Sakura", "Samuel",
	"Sara", "Sebastian", "Sofia", "Stefan", "Tariq", "Thomas", "Valentina", "Victor", "Wei", "Yara",
}

var surnames = []string{
	"Adams", "Ahmed", "Alvarez", "Andersen", "Bauer", "Becker", "Brown", "Campbell", "Chen", "Clark",
	"Costa", "Dubois", "Edwards", "Fernandes", "Fischer", "Garcia", "Gonzalez", "Gupta", "Hansen", "Harris",
	"Hoffmann", "Ito", "Jansen", "Johansson", "Kim", "Kowalski", "Kumar", "Larsen", "Laurent", "Lee",
	"Lopez", "Martin", "Meyer", "Moreau", "Mueller", "Nakamura", "Nguyen", "Nielsen", "Novak", "Okafor",
	"Olsen", "Patel", "Perez", "Petrov", "Rossi", "Santos", "Sato", "Schmidt", "Schneider", "Silva",
	"Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thompson", "Wagner", "Walker", "Wang", "Weber",
	"Williams", "Wilson", "Wright", "Yamamoto", "Young", "Zhang",
}

// department is one department of the generated company: its name, the job
// title of its head and the titles of everyone else, and a relative size.
type department struct {
	Name   string
	Head   string
	Titles []string
	Weight int
	Nick   string // short form for group nicknames
}

var departments = []department{
	{"Executive", "Chief Executive Officer", []string{"Chief Financial Officer", "Chief Technology Officer", "Chief Operating Officer", "Executive Assistant"}, 2, "exec"},
	{"Sales", "Sales Director", []string{"Account Executive", "Sales Representative", "Sales Operations Analyst", "Inside Sales Representative"}, 14, "sales"},
	{"Marketing", "Marketing Director", []string{"Marketing Manager", "Content Strategist", "Product Marketing Manager", "Marketing Coordinator"}, 8, "marketing"},
	{"Engineering", "VP of Engineering", []string{"Software Engineer", "Senior Software Engineer", "QA Engineer", "DevOps Engineer", "Engineering Manager"}, 18, "eng"},
	{"IT", "IT Manager", []string{"Systems Administrator", "Helpdesk Technician", "Security Analyst", "Cloud Engineer"}, 6, "it"},
	{"Finance", "Finance Director", []string{"Accountant", "Financial Analyst", "Payroll Specialist", "Controller"}, 7, "finance"},
	{"Human Resources", "HR Director", []string{"HR Generalist", "Recruiter", "HR Business Partner"}, 5, "hr"},
	{"Legal", "General Counsel", []string{"Corporate Counsel", "Paralegal", "Compliance Officer"}, 3, "legal"},
	{"Operations", "Operations Director", []string{"Operations Manager", "Logistics Coordinator", "Facilities Coordinator", "Procurement Specialist"}, 8, "ops"},
	{"Customer Support", "Support Director", []string{"Support Engineer", "Customer Success Manager", "Support Specialist"}, 10, "support"},
	{"Research", "Research Director", []string{"Research Scientist", "Data Scientist", "Research Assistant"}, 5, "research"},
}

// office is one site of the generated company.
type office struct {
	City, State, Country, Usage, Language, Location, Phone string
	Weight                                                 int
}

var offices = []office{
	{"Redmond", "WA", "United States", "US", "en-US", "Redmond HQ / Building 4", "+1 425 555 0", 10},
	{"New York", "NY", "United States", "US", "en-US", "New York / 5th Avenue", "+1 212 555 0", 4},
	{"London", "England", "United Kingdom", "GB", "en-GB", "London / Canary Wharf", "+44 20 7946 0", 4},
	{"Munich", "Bavaria", "Germany", "DE", "de-DE", "Munich / Parkring", "+49 89 5555 0", 3},
	{"Paris", "Île-de-France", "France", "FR", "fr-FR", "Paris / La Défense", "+33 1 55 55 0", 2},
	{"Sydney", "NSW", "Australia", "AU", "en-AU", "Sydney / Barangaroo", "+61 2 5550 0", 2},
}

// partnerOrgs are the external organizations guests come from; the first two
// also get a cross-tenant access configuration in the demo.
var partnerOrgs = []struct{ Name, Domain string }{
	{"Fabrikam", "fabrikam.com"},
	{"Woodgrove Bank", "woodgrovebank.com"},
	{"Northwind Traders", "northwindtraders.com"},
	{"Litware", "litwareinc.com"},
}

// teamWords name the generated teams and projects of the large profile.
var teamWords = []string{
	"Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Indigo", "Juniper",
	"Keystone", "Lumen", "Meridian", "Nimbus", "Orion", "Pioneer", "Quartz", "Redwood", "Summit", "Tundra",
	"Unity", "Vertex", "Willow", "Xenon", "Yukon", "Zephyr",
}

// appWords name the generated line-of-business applications of the large profile.
var appWords = []string{
	"Portal", "Dashboard", "Connector", "Gateway", "Scheduler", "Reporting", "Inventory", "Billing",
	"Onboarding", "Analytics", "Workflow", "Notifications", "Catalog", "Ticketing", "Payroll", "Timesheets",
}
