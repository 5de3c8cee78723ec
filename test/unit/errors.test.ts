import {describe, expect, it} from 'vitest'
import {BugError, ExitCode, InterruptedError, toAppError, UsageError} from '../../src/errors.js'

describe('toAppError', () => {
  it('keeps an AppError as it is', () => {
    const usage = new UsageError('X', 'm', 'f')
    expect(toAppError(usage)).toBe(usage)
  })
  it('Ctrl-C at any inquirer question is an interrupt (130), not a bug', () => {
    const exit = Object.assign(new Error('User force closed the prompt with SIGINT'), {name: 'ExitPromptError'})
    const app = toAppError(exit)
    expect(app).toBeInstanceOf(InterruptedError)
    expect(app.exitCode).toBe(ExitCode.SIGINT)
    expect(app.message).toBe('Interrupted by Ctrl-C at a question; nothing was changed.')
  })
  it('anything else is a bug (70) that names its kind, not its message', () => {
    const app = toAppError(new TypeError('secret-token-1234 is not a function'))
    expect(app).toBeInstanceOf(BugError)
    expect(app.exitCode).toBe(70)
    expect(app.message).toContain('TypeError')
    expect(app.message).not.toContain('secret-token-1234')
  })
})
