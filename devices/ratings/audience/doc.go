// Package audience computes audience ratings from viewing records (seed 004
// §7): per channel, per programme and per rating window the number of
// viewers (distinct users), viewings, total and average duration and share
// of all viewing time; the most-watched channels and programmes; and each
// user's preferred channel and programme. It is pure: records and the
// minimum viewing time go in, figures come out; an open viewing ends at the
// Now passed in.
//
// A viewing shorter than the minimum does not count anywhere (the seed's
// one minute). A viewing belongs to the programme it started in; a rating
// window (method A) counts the part of each viewing on its channel that
// overlaps the window. It does not weight by population or sample.
package audience
