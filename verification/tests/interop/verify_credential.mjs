// Verify a credential the portal issued with Digital Bazaar's libraries (implementations of the W3C specifications
// independent of ours): node verify_credential.mjs CREDENTIAL.json KEY_OR_CONTROLLER.json [STATUS_LISTS.json]
// The second file is the board's published key document (/verify/keys/board.json) or its DID document
// (/.well-known/did.json). The optional third is what dereferencing each statusListCredential URL gave, as
// {"<url>": <the status list credential>}. Nothing is fetched from the network: the JSON-LD contexts are the ones
// the repository keeps in verification/contexts/ (index.json), any other URL fails.
//
// Each proof is checked on its own with jsonld-signatures and @digitalbazaar/data-integrity: the eddsa-jcs-2022
// proof with @digitalbazaar/eddsa-jcs-2022-cryptosuite, the eddsa-rdfc-2022 proof with
// @digitalbazaar/eddsa-rdfc-2022-cryptosuite when it is installed, else with the same four parts that package is
// made of (jsonld's toRDF in safe mode + rdf-canonize RDFC-1.0 + @digitalbazaar/ed25519-multikey, name and
// algorithm). The credential is also expanded with jsonld.js in safe mode, which fails on any undefined term.
//
// With status lists, each credentialStatus entry is checked by the W3C Bitstring Status List v1.0 Validate
// Algorithm (§3.2), written out below: Digital Bazaar's @digitalbazaar/vc-bitstring-status-list (2.0) reads one
// bit at statusListIndex whatever the entry's statusSize, so it cannot check a `message` entry of statusSize 2
// (nor is it installed here). The list credential's proofs are verified with the same Digital Bazaar suites and
// key as the credential's; the bitstring is decoded with Node's own base64url and gunzip; the status is the
// statusSize bits from statusListIndex × statusSize, the left-most the most significant.
//
// Prints {"verified": …, "proofs": {cryptosuite: {"verified": …, "error": …}}, "expanded": …, "status": [{purpose,
// status, valid, message, error}], …}; exits 0 when every proof the credential carries verifies, the expansion
// succeeds and, when status lists are given, every status entry was checked without error (whatever it says).
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {gunzipSync} from 'node:zlib';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import jsonld from 'jsonld';
import jsigs from 'jsonld-signatures';
import * as rdfCanonize from 'rdf-canonize';

const {purposes: {AssertionProofPurpose}} = jsigs;
const [credentialPath, publishedPath, statusListsPath] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialPath, 'utf8'));
const published = JSON.parse(readFileSync(publishedPath, 'utf8'));
const statusLists = statusListsPath ? JSON.parse(readFileSync(statusListsPath, 'utf8')) : null;

// The contexts the repository keeps, by URL.
const contextsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'contexts');
const index = JSON.parse(readFileSync(join(contextsDir, 'index.json'), 'utf8'));
const documents = {};
for(const [url, entry] of Object.entries(index.contexts)) {
  documents[url] = JSON.parse(readFileSync(join(contextsDir, entry.file), 'utf8'));
}

// A DID document lists its keys; a key document is one key, whose controller is then described here.
const controller = published.verificationMethod ? published : {
  '@context': ['https://www.w3.org/ns/cid/v1'],
  id: published.controller,
  verificationMethod: [published],
  assertionMethod: [published.id],
};
documents[controller.id] = controller;
for(const method of controller.verificationMethod) {
  documents[method.id] = {'@context': ['https://w3id.org/security/multikey/v1'], ...method};
}
const documentLoader = async url => {
  if(documents[url]) {
    return {contextUrl: null, documentUrl: url, document: structuredClone(documents[url])};
  }
  throw new Error(`not available offline: ${url}`);
};

// eddsa-rdfc-2022: Digital Bazaar's package when installed, else the same composition of its dependencies.
let rdfcSuite = '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
let rdfcCryptosuite;
try {
  ({cryptosuite: rdfcCryptosuite} = await import(rdfcSuite));
} catch {
  rdfcSuite = 'jsonld + rdf-canonize + @digitalbazaar/ed25519-multikey';
  rdfcCryptosuite = {
    name: 'eddsa-rdfc-2022',
    requiredAlgorithm: 'Ed25519',
    async canonize(input, options) {
      options = {algorithm: 'RDFC-1.0', format: 'application/n-quads', base: null, safe: true, ...options};
      const toRdfOptions = {rdfDirection: 'i18n-datatype', ...options, produceGeneralizedRdf: false};
      delete toRdfOptions.format;
      const dataset = await jsonld.toRDF(input, toRdfOptions);
      return rdfCanonize.canonize(dataset, options);
    },
    async createVerifier({verificationMethod}) {
      return (await Ed25519Multikey.from(verificationMethod)).verifier();
    },
  };
}
const suites = {
  'eddsa-jcs-2022': () => new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()}),
  'eddsa-rdfc-2022': () => new DataIntegrityProof({cryptosuite: rdfcCryptosuite}),
};

const describe = error => error ? String(error.errors ?? error.message ?? error) : null;

// Each proof of a document on its own: {cryptosuite: {verified, error}}.
async function verifyProofs(document) {
  const found = {};
  const proofs = [document.proof ?? []].flat();
  for(const cryptosuite of new Set(proofs.map(proof => proof?.cryptosuite))) {
    const suite = suites[cryptosuite];
    if(!suite) {
      found[cryptosuite] = {verified: false, error: 'no verifier for this cryptosuite'};
      continue;
    }
    const result = await jsigs.verify(document, {
      suite: suite(), purpose: new AssertionProofPurpose({controller}), documentLoader,
    });
    found[cryptosuite] = {verified: result.verified, error: describe(result.error)};
  }
  return found;
}

// --- W3C Bitstring Status List v1.0 -------------------------------------------------------------------------
const MINIMUM_NUMBER_OF_ENTRIES = 131072; // §3.2 step 2: no lower bound is set by Open Badges
class StatusError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // the §3.5 error type
  }
}
const malformed = message => new StatusError('MALFORMED_VALUE_ERROR', message);

// The MUSTs of §2.1 on the entry; returns its statusSize (1 when absent) and statusMessage.
function entryChecked(entry) {
  if(entry?.type !== 'BitstringStatusListEntry') {
    throw malformed('type must be BitstringStatusListEntry');
  }
  if(typeof entry.statusPurpose !== 'string') {
    throw malformed('statusPurpose must be a string');
  }
  if(typeof entry.statusListIndex !== 'string' || !/^[0-9]+$/.test(entry.statusListIndex)) {
    throw malformed('statusListIndex must be an integer >= 0 written in base 10');
  }
  if(typeof entry.statusListCredential !== 'string') {
    throw malformed('statusListCredential must be a URL');
  }
  if(entry.id !== undefined && entry.id === entry.statusListCredential) {
    throw malformed('id must not be the URL of the status list');
  }
  const size = entry.statusSize ?? 1;
  if(!Number.isInteger(size) || size < 1) {
    throw malformed('statusSize must be an integer greater than zero');
  }
  const messages = entry.statusMessage;
  if(size > 1 && messages === undefined) {
    throw malformed('statusMessage must be present when statusSize is greater than 1');
  }
  if(messages !== undefined) {
    if(!Array.isArray(messages) || messages.length !== 2 ** size) {
      throw malformed('statusMessage must have one element per possible value (2 ** statusSize)');
    }
    for(const element of messages) {
      if(!/^0x[0-9a-f]+$/i.test(element?.status ?? '') || typeof element.message !== 'string') {
        throw malformed('each statusMessage element must have a status ("0x…") and a message (string)');
      }
    }
    const values = new Set(messages.map(element => parseInt(element.status.slice(2), 16)));
    if(![...Array(2 ** size).keys()].every(value => values.has(value))) {
      throw malformed('statusMessage must name each possible value once');
    }
  }
  return {size, messages};
}

// §3.4 Bitstring Expansion Algorithm: multibase base64url (no padding), then GZIP.
function bitstringExpanded(encodedList) {
  if(typeof encodedList !== 'string' || encodedList[0] !== 'u' || !/^[A-Za-z0-9_-]*$/.test(encodedList.slice(1))) {
    throw malformed('encodedList must be multibase base64url without padding');
  }
  try {
    return gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'));
  } catch(error) {
    throw malformed(`encodedList is not GZIP-compressed: ${error.message}`);
  }
}

// §3.2 Validate Algorithm for one entry.
async function statusValidated(entry) {
  const {size, messages} = entryChecked(entry);
  const list = statusLists[entry.statusListCredential];
  if(!list) {
    throw new StatusError('STATUS_RETRIEVAL_ERROR', `${entry.statusListCredential} was not dereferenced`);
  }
  const proofs = Object.values(await verifyProofs(list));
  if(!(proofs.length > 0 && proofs.every(proof => proof.verified))) {
    throw new StatusError('STATUS_VERIFICATION_ERROR', 'a proof of the status list credential does not verify');
  }
  if(![list.type ?? []].flat().includes('BitstringStatusListCredential')) {
    throw malformed('the status list credential\'s type must include BitstringStatusListCredential');
  }
  const subject = list.credentialSubject;
  if(subject?.type !== 'BitstringStatusList') {
    throw malformed('the status list\'s type must be BitstringStatusList');
  }
  if(![subject.statusPurpose ?? []].flat().includes(entry.statusPurpose)) {
    throw new StatusError('STATUS_VERIFICATION_ERROR', 'the status list has another statusPurpose');
  }
  const bitstring = bitstringExpanded(subject.encodedList);
  const length = bitstring.length * 8;
  if(length / size < MINIMUM_NUMBER_OF_ENTRIES) {
    throw new StatusError('STATUS_LIST_LENGTH_ERROR', `${length / size} entries, fewer than the minimum`);
  }
  const position = BigInt(entry.statusListIndex) * BigInt(size);
  if(position + BigInt(size) > BigInt(length)) {
    throw new StatusError('RANGE_ERROR', 'statusListIndex is outside the status list');
  }
  let status = 0;
  for(let bit = Number(position); bit < Number(position) + size; bit++) {
    status = status * 2 + ((bitstring[bit >> 3] >> (7 - (bit & 7))) & 1); // index 0: the left-most bit
  }
  const result = {purpose: entry.statusPurpose, status, valid: status === 0, error: null};
  if(entry.statusPurpose === 'message') {
    result.message = messages ?
      messages.find(element => parseInt(element.status.slice(2), 16) === status).message :
      (status ? 'set' : 'unset');
  }
  return result;
}

const outcome = {proofs: await verifyProofs(credential), rdfcSuite};
if(statusLists) {
  outcome.status = [];
  for(const entry of [credential.credentialStatus ?? []].flat()) {
    try {
      outcome.status.push(await statusValidated(entry));
    } catch(error) {
      if(!(error instanceof StatusError)) {
        throw error;
      }
      outcome.status.push({purpose: entry?.statusPurpose ?? null, error: error.code, detail: error.message});
    }
  }
}
try {
  await jsonld.expand(credential, {documentLoader, safe: true});
  outcome.expanded = true;
} catch(error) {
  outcome.expanded = false;
  // jsonld.js names the term (or type) it would have dropped in the details of its safe mode event
  const event = error.details?.event;
  outcome.expansionError = `${error.message} ${event?.code ?? ''} ${JSON.stringify(event?.details ?? {})}`;
}
const results = Object.values(outcome.proofs);
outcome.verified = results.length > 0 && results.every(result => result.verified);
const statusChecked = (outcome.status ?? []).every(result => result.error === null);
console.log(JSON.stringify(outcome));
process.exit(outcome.verified && outcome.expanded && statusChecked ? 0 : 1);
