/**
 * A statement one module writes for another module's statement to carry, as a further
 * data-modifying CTE: both commit as one statement, in one round trip (login: the session and its
 * event). Placeholders are numbered from $1; the carrier renumbers them after its own.
 */
export interface SqlStatement {
  /** Names the text, which never changes for one name: the carrier names its prepared statement after it. */
  name: string;
  text: string;
  values: unknown[];
}

/** `statement`'s placeholders moved past the carrier's first `offset` values. */
export function shiftPlaceholders(statement: SqlStatement, offset: number): string {
  return statement.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}
