/**
 * The caps every notification respects, in one place: the text hygiene, the document renderer and
 * the chat message all read them, and the tests check the output against them.
 */

export const LIMITS = {
  /** SNS: a subject is "less than 100 characters"; counted in UTF-16 units, the stricter reading. */
  subject: 99,
  /** Lines of a list (regions, failures, snapshots) in the plain-text body; the others are counted. */
  textItems: 50,
  /** Lines of a list in the chat message, read in a channel among other messages. */
  chatItems: 15,
  /** Entries of each sharing list (accounts, organizations, OUs) and of the target regions. */
  namedItems: 20,
  /** Image ARNs in the chat message's related resources. */
  relatedResources: 20,
  /** Characters of one free-text value (a name, a reason, an error message). */
  field: 500,
} as const;
