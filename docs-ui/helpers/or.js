'use strict'

// Handlebars passes an options object as the last argument; ignore it.
module.exports = (...args) => args.slice(0, -1).find(Boolean)
