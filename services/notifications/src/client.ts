/** The notifications service's app type, for typed clients (Eden treaty). */
export type { NotificationsApp } from './app.ts'
