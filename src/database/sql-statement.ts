/**
 * A statement one module writes for another module's statement to carry, as a further
 * data-modifying CTE: both commit as one statement, in one round trip (login: the session and its
 * event). Placeholders are numbered from $1; the carrier renumbers them after its own.
 */
export interface SqlStatement {
  text: string;
  values: unknown[];
}

/** `statement`'s placeholders moved past the carrier's first `offset` values. */
export function shiftPlaceholders(statement: SqlStatement, offset: number): string {
  return statement.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}
