export { createServices, type Services, type ServicesOptions } from './services';
export { type RunningWorker, type StartWorkerOptions, startWorker } from './worker';
