export {
  appendControl,
  ControlConflict,
  ControlFollower,
  ControlLogReplacedError,
  ensureControlTopic,
  readControlLog,
  type ControlFollowerOptions,
  type ControlLogEntry,
} from './topic.js';
export { controlTopicName } from '../../../core/control/index.js';
