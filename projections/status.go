package projections

import "github.com/decisionledger/ledger/domain"

// The projections report the domain's statuses as they are (Item.Status
// is a domain.ItemStatus, Request.Status a domain.RequestStatus). The
// names below only keep older callers compiling.

// Status is domain.ItemStatus.
//
// Deprecated: use domain.ItemStatus.
type Status = domain.ItemStatus

// RequestStatus is domain.RequestStatus.
//
// Deprecated: use domain.RequestStatus.
type RequestStatus = domain.RequestStatus

// The backlog item statuses, as the domain names them.
//
// Deprecated: use domain.StatusNew and the rest.
const (
	StatusNew        = domain.StatusNew
	StatusInProgress = domain.StatusInProgress
	StatusDelivered  = domain.StatusDelivered
	StatusRemoved    = domain.StatusRemoved
)

// The request statuses, as the domain names them.
//
// Deprecated: use domain.StatusPending and the rest.
const (
	RequestPending   = domain.StatusPending
	RequestAccepted  = domain.StatusAccepted
	RequestRejected  = domain.StatusRejected
	RequestDeferred  = domain.StatusDeferred
	RequestWithdrawn = domain.StatusWithdrawn
)
