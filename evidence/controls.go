package evidence

// Control is one control of a framework that a line of the report
// supports.
type Control struct {
	ID        string `json:"id"`
	Framework string `json:"framework"`
	Title     string `json:"title"`
}

// The controls the report's lines support.
const (
	ISOBackup    = "ISO 27001 A.8.13"
	SOC2Backup   = "SOC 2 A1.2"
	SOC2Recovery = "SOC 2 A1.3"
	NIS2Backup   = "NIS2 21(2)(c)"
)

// Controls lists the controls by ID, in the order reports show them.
var Controls = []Control{
	{ID: ISOBackup, Framework: "ISO/IEC 27001:2022 Annex A",
		Title: "8.13 Information backup: backup copies of information, software and systems are maintained and regularly tested in accordance with the agreed backup policy"},
	{ID: SOC2Backup, Framework: "SOC 2 Trust Services Criteria (availability)",
		Title: "A1.2 The entity authorizes, designs, develops or acquires, implements, operates, approves, maintains, and monitors environmental protections, software, data backup processes, and recovery infrastructure"},
	{ID: SOC2Recovery, Framework: "SOC 2 Trust Services Criteria (availability)",
		Title: "A1.3 The entity tests recovery plan procedures supporting system recovery"},
	{ID: NIS2Backup, Framework: "NIS2 Directive (EU) 2022/2555, article 21(2)(c)",
		Title: "Business continuity, such as backup management and disaster recovery, and crisis management"},
}

// lineControls are the controls each summary line supports.
var lineControls = map[string][]string{
	"snapshots":  {ISOBackup, SOC2Backup, NIS2Backup},
	"rpo":        {ISOBackup, SOC2Backup, NIS2Backup},
	"gaps":       {ISOBackup, SOC2Backup, NIS2Backup},
	"partial":    {ISOBackup, SOC2Backup},
	"kinds":      {ISOBackup, SOC2Backup},
	"check":      {ISOBackup, SOC2Backup},
	"signatures": {ISOBackup, SOC2Backup},
	"rehearsals": {ISOBackup, SOC2Recovery, NIS2Backup},
	"applies":    {ISOBackup, SOC2Recovery},
	"access":     {ISOBackup, SOC2Backup},
}
