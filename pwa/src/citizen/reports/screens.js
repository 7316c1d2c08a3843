// My reports' screens, one chunk loaded on demand (later.js): the report screen comes first.
export { ReportDetailScreen } from './detail-screen.js';
export { ReportsScreen } from './list-screen.js';
export { QuietScreen } from '../silent/quiet-screen.js';
