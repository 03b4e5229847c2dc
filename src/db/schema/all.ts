export * from './index';
export * from './audit-log';
