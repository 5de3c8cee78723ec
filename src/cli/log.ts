/**
 * Log lines for unattended runs (`sync`): a level, an ISO timestamp with its
 * zone, and the text; written to the terminal (stdout for info, stderr for
 * warnings and errors; stderr only when stdout carries JSON lines) and,
 * optionally, to a log file that is rotated by size. Every line passes the
 * redactor first.
 */
import {appendFileSync, existsSync, renameSync, rmSync, statSync} from 'node:fs'
import {isoWithZone} from '../core/timestamp.js'
import type {Redactor} from '../core/redact.js'

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export interface LogOptions {
  level: LogLevel
  /** stdout carries JSON lines: text goes to stderr only. */
  json: boolean
  file?: string
  /** Rotate the file before it grows past this (default 10 MiB); keep this many old files (default 5). */
  maxBytes?: number
  keep?: number
}

export class Log {
  constructor(
    private readonly options: LogOptions,
    private readonly redactor: Redactor,
  ) {}

  error(text: string): void {
    this.write('error', text)
  }

  warn(text: string): void {
    this.write('warn', text)
  }

  info(text: string): void {
    this.write('info', text)
  }

  debug(text: string): void {
    this.write('debug', text)
  }

  private write(level: LogLevel, text: string): void {
    if (LOG_LEVELS.indexOf(level) > LOG_LEVELS.indexOf(this.options.level)) return
    const line = this.redactor.scrub(`${isoWithZone(new Date())} ${level.toUpperCase().padEnd(5)} ${text}`) + '\n'
    if (level === 'info' || level === 'debug') {
      if (!this.options.json) process.stdout.write(line)
    } else {
      process.stderr.write(line)
    }
    if (this.options.file) this.toFile(this.options.file, line)
  }

  /** Appends to the file, owner-only; before it would pass maxBytes, file → file.1 → … → file.<keep> (the oldest goes). */
  private toFile(file: string, line: string): void {
    const max = this.options.maxBytes ?? 10 * 1024 * 1024
    const keep = this.options.keep ?? 5
    if (existsSync(file) && statSync(file).size + Buffer.byteLength(line) > max) {
      rmSync(`${file}.${keep}`, {force: true})
      for (let i = keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`)
      renameSync(file, `${file}.1`)
    }
    appendFileSync(file, line, {mode: 0o600})
  }
}
