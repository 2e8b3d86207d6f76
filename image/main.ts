// `npm run image`: the image builder. Not implemented yet: it arrives with the image builder issue.
console.error("npm run image: the image builder is not implemented yet; `npm run build` builds the runtime (dist/limen-<cpu>)");
process.exit(2);
