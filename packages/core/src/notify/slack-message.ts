import { headline, type Notification } from './notification.js';

/**
 * A Slack incoming-webhook message for a notification: one `text` (Slack's
 * mrkdwn) with the headline, the question's options, the counts and the link.
 */
export function slackMessage(n: Notification): { text: string } {
  const lines = [`*${mrkdwn(headline(n))}*`];
  if (n.question?.details) lines.push(mrkdwn(n.question.details));
  if (n.question?.options.length) {
    lines.push(n.question.options.map((o, i) => `${i + 1}. ${mrkdwn(o)}`).join('\n'));
  }
  if (n.retryAt) lines.push(`Retrying at ${n.retryAt}`);
  lines.push(`${n.counts.done}/${n.counts.total} tasks done, $${n.costUsd.toFixed(2)} spent`);
  if (n.dashboardUrl) lines.push(`<${n.dashboardUrl}|Open the sprint>`);
  return { text: lines.join('\n') };
}

/** Slack's three control characters in mrkdwn. */
function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
