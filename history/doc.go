// Package history answers questions about one revision of a snapshot
// repository by object: which file an id (or an alias: an application's
// appId, a role's templateId) names, what an object is called, and which
// objects a selector means.
//
// A selector is, in this order of precedence:
//
//   - a file path in the repository (groups/3f/finance-admins.3f2a….yaml);
//   - a kind or a folder (groups, conditional-access,
//     conditional-access/policies), meaning every object of those kinds;
//   - an object id, or an alias of one (an application's appId, a role
//     definition's templateId; a service principal's appId when no
//     application has it), compared without regard to case;
//   - kind/displayName, where the kind part may be a folder with slashes
//     (conditional-access/policies/Require MFA) and the name may hold
//     slashes too: the longest kind part that names a kind wins. The name
//     is compared without regard to case with the displayName,
//     userPrincipalName or name.
//
// Resolve and ResolveOne are the one implementation of that grammar: show,
// log, restore and drift's watch lists all use it. They read objects only
// through a View, so the same code runs over a repository revision read
// lazily (Open), files in memory (FromFiles) or decoded objects
// (FromSnapshot).
//
// Compare is the diff of two revisions (the diff command's model): it
// decodes only the files that changed and names the ids in them from the
// newer revision, then the older, reading only the files it needs.
package history
