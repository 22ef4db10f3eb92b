package main

import (
	"strconv"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// pagingPropertyCollector honours RetrieveOptions.maxObjects as vCenter does: the first maxObjects objects of a
// retrieval and a token, for ContinueRetrievePropertiesEx to hand out the rest a page at a time. The stock simulator
// answers everything at once and knows no token, so a client's continuation was never exercised in the lab.
// Each session gets its own zero-valued instance (the simulator makes one per session by reflection), so tokens are
// per session; one abandoned without CancelRetrievePropertiesEx stays until its session's collector goes.
type pagingPropertyCollector struct {
	simulator.PropertyCollector // by value: the PropertyCollector digs the mo type out of field 0

	pagesMu sync.Mutex // the collector takes no lock of its own (it is a nopLocker)
	issued  int
	pending map[string]pendingPages // made on first use: the per-session instances start zero-valued
}

type pendingPages struct {
	objects  []types.ObjectContent
	pageSize int
}

func installPagingPropertyCollector(ref types.ManagedObjectReference) {
	stock := simulator.Map.Get(ref).(*simulator.PropertyCollector)
	simulator.Map.Put(&pagingPropertyCollector{PropertyCollector: *stock})
}

func (pc *pagingPropertyCollector) RetrievePropertiesEx(ctx *simulator.Context, req *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, req).(*methods.RetrievePropertiesExBody)
	if body.Res != nil && body.Res.Returnval != nil && req.Options.MaxObjects > 0 {
		pc.keepBeyond(body.Res.Returnval, int(req.Options.MaxObjects))
	}
	return body
}

func (pc *pagingPropertyCollector) ContinueRetrievePropertiesEx(req *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	pc.pagesMu.Lock()
	rest, ok := pc.pending[req.Token]
	delete(pc.pending, req.Token)
	pc.pagesMu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("unknown or finished retrieval token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	result := types.RetrieveResult{Objects: rest.objects}
	pc.keepBeyond(&result, rest.pageSize)
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: result}
	return body
}

func (pc *pagingPropertyCollector) CancelRetrievePropertiesEx(req *types.CancelRetrievePropertiesEx) soap.HasFault {
	pc.pagesMu.Lock()
	delete(pc.pending, req.Token)
	pc.pagesMu.Unlock()
	return &methods.CancelRetrievePropertiesExBody{Res: new(types.CancelRetrievePropertiesExResponse)}
}

// keepBeyond cuts the result to one page and keeps the rest under a new token, which the result then carries.
func (pc *pagingPropertyCollector) keepBeyond(result *types.RetrieveResult, pageSize int) {
	if len(result.Objects) <= pageSize {
		return
	}
	pc.pagesMu.Lock()
	defer pc.pagesMu.Unlock()
	if pc.pending == nil {
		pc.pending = make(map[string]pendingPages)
	}
	pc.issued++
	result.Token = strconv.Itoa(pc.issued)
	pc.pending[result.Token] = pendingPages{objects: result.Objects[pageSize:], pageSize: pageSize}
	result.Objects = result.Objects[:pageSize]
}
