/**
 * One step of the schema: a name (the file's, `pnpm db:new <name>` makes one) and its SQL, once
 * per database `database.url` may name. A step that has run anywhere is never edited: what
 * changes it is a new step.
 */
export interface Migration {
  readonly name: string;
  /** The statements for SQLite, run in one transaction with the others pending. */
  readonly sqlite: string;
  /** The same change for PostgreSQL (its DDL is transactional too). */
  readonly postgres: string;
}
