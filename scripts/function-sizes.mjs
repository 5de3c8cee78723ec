#!/usr/bin/env node
// Lists the functions in src/ that are longer than 60 lines or have more than
// 15 branches (if, ?:, case, catch, loops, && and ||, ??), with file and line.
// `--json` prints them as one JSON document (the architecture test reads it).
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'

export const MAX_LINES = 60
export const MAX_BRANCHES = 15
const root = fileURLToPath(new URL('..', import.meta.url))

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

const BRANCHES = new Set([
  ts.SyntaxKind.IfStatement, ts.SyntaxKind.ConditionalExpression, ts.SyntaxKind.CaseClause, ts.SyntaxKind.CatchClause,
  ts.SyntaxKind.ForStatement, ts.SyntaxKind.ForOfStatement, ts.SyntaxKind.ForInStatement, ts.SyntaxKind.WhileStatement, ts.SyntaxKind.DoStatement,
])
const LOGICAL = new Set([ts.SyntaxKind.AmpersandAmpersandToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken])

/** Branches of a function, not counting those of functions nested in it (they are measured on their own). */
function branches(node) {
  let count = 0
  const visit = (n) => {
    if (n !== node && ts.isFunctionLike(n)) return
    if (BRANCHES.has(n.kind)) count++
    if (ts.isBinaryExpression(n) && LOGICAL.has(n.operatorToken.kind)) count++
    ts.forEachChild(n, visit)
  }
  visit(node)
  return count
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text
  if (node.parent && ts.isVariableDeclaration(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text
  if (node.parent && ts.isPropertyAssignment(node.parent) && ts.isIdentifier(node.parent.name)) return node.parent.name.text
  return '(anonymous)'
}

export function measure() {
  const found = []
  for (const file of files(join(root, 'src'))) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true)
    const visit = (node) => {
      if (ts.isFunctionLike(node) && node.body) {
        const start = source.getLineAndCharacterOfPosition(node.getStart()).line + 1
        const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1
        const lines = end - start + 1
        const b = branches(node)
        if (lines > MAX_LINES || b > MAX_BRANCHES) found.push({file: relative(root, file), name: nameOf(node), line: start, lines, branches: b})
      }
      ts.forEachChild(node, visit)
    }
    visit(source)
  }
  return found
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const found = measure()
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(found) + '\n')
  else for (const f of found) console.log(`${f.file}:${f.line}  ${f.name}  ${f.lines} lines, ${f.branches} branches`)
}
