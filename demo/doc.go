// Package demo holds a deterministic, realistic decision history for a
// product called "checkout", spanning 2026-Q1 to 2026-Q3: a vision, a
// roadmap with an item delivered on time, one late, one rescheduled, one
// dropped and one still open, more than forty backlog items across epics,
// stakeholder requests with every fate, re-rankings with scores and an
// override, and a Product Owner handover. Tests across the project work
// out expected answers from it by hand, so change it only with them.
//
// demo imports domain and command; nothing imports demo but the CLI and tests.
package demo
