package reliability

func brokenFileScenarios() []scenario { return nil }
func hostileNameScenarios() []scenario { return nil }
func refusalScenarios() []scenario    { return nil }
func secretsScenario() scenario       { return scenario{name: "secrets", checks: "x", run: func(r *row) {}} }
