// Package ci holds the CI templates users copy into the repository that keeps
// their tenant's snapshots: a daily export reviewed as a pull request, and a
// drift check against the last approved snapshot.
//
//   - github/entrasnap-backup.yml: GitHub Actions (workload identity
//     federation with GitHub's OIDC token, pull request through gh).
//   - azure-pipelines/entrasnap-backup.yml: Azure Pipelines (a workload
//     identity federation service connection, pull request through the Azure
//     DevOps REST API).
//   - gitlab/.gitlab-ci.yml: GitLab CI (id_tokens, merge request through the
//     GitLab API).
//   - watch.yaml: the `entrasnap drift --watch` file naming the critical kinds.
//
// README.md says how to set each one up. The package has no Go code: its
// tests lint the templates (actionlint for GitHub Actions, structure for the
// others, bash -n for every script), check every entrasnap command they run
// against the real CLI's --help, and run the GitHub workflow's steps locally
// against graphsim and a bare git remote.
package ci
