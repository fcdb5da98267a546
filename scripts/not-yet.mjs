// `npm start` placeholder until the serverless pipeline lands (issue 8).
console.error('stormcell: `npm start` (the embedded deployment) is not built yet; see README.md.');
process.exit(1);
