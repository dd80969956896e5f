package domain

// EvolveFold is the write state's fold, for the catalogue tests of
// package domain_test.
var EvolveFold = evolve
