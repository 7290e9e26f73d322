package main

import (
	"fmt"
	"sort"
	"strings"
)

// betaCSDL declares the types of kinds entrasnap reads from beta only,
// which the v1.0 CSDL lacks, as their beta pages describe them
// (resources/externalidentitiespolicy?view=graph-rest-beta: policyBase's
// id, deletedDateTime, description, displayName, and its two settings).
// Load adds them to the model; a type the v1.0 CSDL gains later wins.
const betaCSDL = `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="externalIdentitiesPolicy">
        <Key><PropertyRef Name="id" /></Key>
        <Property Name="id" Type="Edm.String" Nullable="false" />
        <Property Name="deletedDateTime" Type="Edm.DateTimeOffset" />
        <Property Name="description" Type="Edm.String" />
        <Property Name="displayName" Type="Edm.String" />
        <Property Name="allowDeletedIdentitiesDataRemoval" Type="Edm.Boolean" />
        <Property Name="allowExternalIdentitiesToLeave" Type="Edm.Boolean" />
      </EntityType>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>`

// addBeta adds betaCSDL's types that m lacks.
func addBeta(m *Model) error {
	b, err := Parse(strings.NewReader(betaCSDL))
	if err != nil {
		return fmt.Errorf("beta types: %w", err)
	}
	for q, t := range b.Types {
		if _, ok := m.Types[q]; ok {
			continue
		}
		m.Types[q] = t
		if t.Base != "" {
			m.derived[t.Base] = append(m.derived[t.Base], q)
			sort.Strings(m.derived[t.Base])
		}
	}
	return nil
}
