export {
  appendControl,
  ControlConflict,
  ControlFollower,
  controlTopicName,
  ensureControlTopic,
  readControlLog,
  type ControlFollowerOptions,
  type ControlLogEntry,
} from './topic.js';
