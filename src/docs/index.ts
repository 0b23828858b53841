export { readContractInputs } from './contract-inputs.js';
export { contractPromises, renderContract, type ContractInputs, type ContractPromise } from './render-contract.js';
export { describeAvroType, fieldTable, type AvroField, type AvroRecord } from './avro-fields.js';
