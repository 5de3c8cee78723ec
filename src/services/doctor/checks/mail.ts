/** The mail server for notifications, and a real test mail on request. */
import {failFrom, type Check, type DoctorOptions} from '../context.js'

export function mailChecks(options: DoctorOptions): Check[] {
  return [
    {
      id: 'smtp',
      title: 'Mail server for notifications (connect, TLS, login)',
      needs: ['config'],
      owner: "customer's IT",
      async run(ctx) {
        const notify = ctx.loaded!.config.notify
        if (!notify) return {status: 'pass', detail: 'Notifications are not configured (no notify section); nothing to check.'}
        const {Mailer} = await import('../../../adapters/mailer.js')
        const mailer = new Mailer(notify)
        try {
          await mailer.verify()
          return {status: 'pass', detail: `${notify.smtp.host}:${notify.smtp.port} accepted ${notify.smtp.user ? `the login of ${notify.smtp.user}` : 'the connection'}; ${notify.recipients.length} recipient(s).`}
        } catch (error) {
          return failFrom(error, "customer's IT")
        } finally {
          mailer.close()
        }
      },
    },
    {
      id: 'smtp.test-mail',
      title: 'Test mail sent',
      needs: ['smtp'],
      owner: "customer's IT",
      async run(ctx) {
        if (!options.sendTestMail) return {status: 'skip', detail: 'Run with --send-test-mail <address> to send one.'}
        const notify = ctx.loaded!.config.notify
        if (!notify) return {status: 'fail', detail: 'Notifications are not configured.', fix: 'Add a notify section to the config (README "Config").', owner: 'operator'}
        const {Mailer} = await import('../../../adapters/mailer.js')
        const mailer = new Mailer({...notify, recipients: [options.sendTestMail]})
        try {
          await mailer.send({messageId: `<doctor-${Date.now()}-${process.pid}@melon-immotop.invalid>`, subject: 'melon-immotop: Testnachricht', text: 'Diese Testnachricht bestätigt, dass melon-immotop Benachrichtigungen versenden kann.\n'})
          return {status: 'pass', detail: `Sent to ${options.sendTestMail}.`}
        } catch (error) {
          return failFrom(error, "customer's IT")
        } finally {
          mailer.close()
        }
      },
    },
  ]
}
