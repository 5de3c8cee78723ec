/** A record of an input file (IDX 3.01, dta-mpexp) that cannot be read: where, which field, why. Parsers return these; they never throw. */
export interface ParseProblem {
  /** 1-based line where the record starts. */
  line: number
  field?: string
  message: string
}
