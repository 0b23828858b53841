export {
  describeTypeIssue,
  expectedWords,
  issuePath,
  JSON_WORDS,
  kindOf,
  typeIssueParams,
  valueAt,
  YAML_WORDS,
  type ContainerWords,
  type Lookup,
  type TypeIssue,
} from './type-issues.js';
