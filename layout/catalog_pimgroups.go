package layout

// pimGroupKinds are PIM for Groups (issue 13, "PIM"), appended by init at
// the end of the catalog, after the groups and users they name. One file
// per schedule: a (group, principal, accessId member|owner) eligibility or
// active assignment. live/pimgroups.go reads them group by group (Graph
// requires $filter=groupId eq '...' on both lists:
// privilegedaccessgroup-list-eligibilityschedules, -assignmentschedules),
// only for groups PIM can govern (not dynamic, not synced from on-premises,
// security or Microsoft 365); importer/pimgroups.go restores them through
// schedule requests (adminAssign with the snapshot's end, adminUpdate of a changed end,
// adminRemove).
//
// One home for an active member or owner: Graph lists the principal an
// active assignment made as a member (or owner) of the group too, so the
// group's file names it as well. Restore makes it again through its
// assignment schedule, with its end (a time-bound membership must never
// come back as a standing one, and PIM refuses to assign a principal who
// already is a direct member); the groups kind leaves such a member or
// owner to the schedule and does not add it as a plain member
// (importer/pimgroups.go, pimHeldLink).
var pimGroupKinds = []*Kind{
	{
		Name: "group-eligibility-schedules", Title: "PIM for Groups eligibility schedules", Folder: "pim-groups/eligibility",
		ODataType: "#microsoft.graph.privilegedAccessGroupEligibilitySchedule", APIVersion: "v1.0",
		ListPath:   "/identityGovernance/privilegedAccess/group/eligibilitySchedules",
		NaturalKey: []string{"groupId", "principalId", "accessId"},
		Refs: []Ref{
			{Path: "groupId", Kinds: []string{"groups"}},
			{Path: "principalId", Kinds: []string{"users", "groups"}},
		},
		Volatile: []string{"modifiedDateTime"},
		ReadOnly: []string{"id", "createdDateTime", "modifiedDateTime", "status", "createdUsing", "memberType"},
		// privilegedaccessgroup-list-eligibilityschedules, -post-eligibilityschedulerequests;
		// Group.Read.All lists the groups whose schedules are read.
		ReadPermissions:  []string{"PrivilegedEligibilitySchedule.Read.AzureADGroup", "Group.Read.All"},
		WritePermissions: []string{"PrivilegedEligibilitySchedule.ReadWrite.AzureADGroup"},
	},
	{
		Name: "group-assignment-schedules", Title: "PIM for Groups active assignment schedules", Folder: "pim-groups/assignments",
		ODataType: "#microsoft.graph.privilegedAccessGroupAssignmentSchedule", APIVersion: "v1.0",
		ListPath:   "/identityGovernance/privilegedAccess/group/assignmentSchedules",
		NaturalKey: []string{"groupId", "principalId", "accessId"},
		Refs: []Ref{
			{Path: "groupId", Kinds: []string{"groups"}},
			{Path: "principalId", Kinds: []string{"users", "groups"}},
		},
		Volatile:         []string{"modifiedDateTime"},
		ReadOnly:         []string{"id", "createdDateTime", "modifiedDateTime", "status", "createdUsing", "memberType", "assignmentType"},
		ReadPermissions:  []string{"PrivilegedAssignmentSchedule.Read.AzureADGroup", "Group.Read.All"},
		WritePermissions: []string{"PrivilegedAssignmentSchedule.ReadWrite.AzureADGroup"},
	},
}

func init() {
	kinds = append(kinds, pimGroupKinds...)
	for _, k := range pimGroupKinds {
		byName[k.Name] = k
	}
}
