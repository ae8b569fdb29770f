// The server redacts with the same Redactor the runner uses for the event log.
export { Redactor, secretsOf } from '@sprint/core';
