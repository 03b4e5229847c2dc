export * from './audit-log';
export * from './index';
