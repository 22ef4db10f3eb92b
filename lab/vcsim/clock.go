package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// clockOffset is how far vCenter's clock (ServiceInstance.CurrentTime) is from the real one.
type clockOffset struct{ nanos atomic.Int64 }

func (c *clockOffset) set(d time.Duration) { c.nanos.Store(int64(d)) }
func (c *clockOffset) get() time.Duration  { return time.Duration(c.nanos.Load()) }

// frontHandler sits before the simulator's mux: it serves /lab and shifts CurrentTime answers.
// CurrentTime belongs to the ServiceInstance, which the simulator type-asserts internally and
// so cannot be replaced by a wrapper the way the managers are.
type frontHandler struct {
	simulator http.Handler
	lab       http.Handler
	clock     *clockOffset
}

func newFrontHandler(sim http.Handler, clock *clockOffset) http.Handler {
	return &frontHandler{simulator: sim, lab: newLabAPI(clock), clock: clock}
}

func (h *frontHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, labPrefix+"/"):
		h.lab.ServeHTTP(w, r)
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk") && h.clock.get() != 0:
		h.serveShiftingCurrentTime(w, r)
	default:
		h.simulator.ServeHTTP(w, r)
	}
}

var currentTimeReturnval = regexp.MustCompile(`<returnval>([^<]*)</returnval>`)

// serveShiftingCurrentTime lets the simulator answer (so login checks stay its own) and moves
// the time in a CurrentTime answer by the clock offset.
func (h *frontHandler) serveShiftingCurrentTime(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if soapMethod(body) != "CurrentTime" {
		h.simulator.ServeHTTP(w, r)
		return
	}

	answer := httptest.NewRecorder()
	h.simulator.ServeHTTP(answer, r)
	out := answer.Body.Bytes()
	if answer.Code == http.StatusOK {
		out = currentTimeReturnval.ReplaceAllFunc(out, func(element []byte) []byte {
			value := currentTimeReturnval.FindSubmatch(element)[1]
			t, err := time.Parse(time.RFC3339Nano, string(value))
			if err != nil {
				return element
			}
			return []byte("<returnval>" + t.Add(h.clock.get()).Format(time.RFC3339Nano) + "</returnval>")
		})
	}
	for k, v := range answer.Header() {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(answer.Code)
	_, _ = w.Write(out)
}

// soapMethod returns the name of the first element in a SOAP envelope's Body.
func soapMethod(envelope []byte) string {
	decoder := xml.NewDecoder(bytes.NewReader(envelope))
	inBody := false
	for {
		token, err := decoder.Token()
		if err != nil {
			return ""
		}
		if start, ok := token.(xml.StartElement); ok {
			if inBody {
				return start.Name.Local
			}
			inBody = start.Name.Local == "Body"
		}
	}
}

// hostDateTimeSystem is a host's clock: QueryDateTime answers now plus the host's offset, and
// UpdateDateTime moves that offset, so a remediation can set the time.
type hostDateTimeSystem struct {
	mo.HostDateTimeSystem
	offset time.Duration
}

// installHostDateTimeSystems gives each host its own DateTimeSystem (the stock hosts all point
// at one "dateTimeSystem" reference that is not registered).
func installHostDateTimeSystems() {
	for _, entity := range simulator.Map.All("HostSystem") {
		host := entity.(*simulator.HostSystem)
		system := &hostDateTimeSystem{}
		system.Self.Type = "HostDateTimeSystem" // else the registry names the type after our wrapper
		system.DateTimeInfo = types.HostDateTimeInfo{
			TimeZone:  types.HostDateTimeSystemTimeZone{Key: "UTC", Name: "UTC", Description: "UTC", GmtOffset: 0},
			NtpConfig: &types.HostNtpConfig{},
		}
		ref := simulator.Map.Put(system).Reference()
		simulator.Map.WithLock(host, func() { host.ConfigManager.DateTimeSystem = &ref })
	}
}

func (s *hostDateTimeSystem) QueryDateTime(*types.QueryDateTime) soap.HasFault {
	return &methods.QueryDateTimeBody{Res: &types.QueryDateTimeResponse{Returnval: time.Now().Add(s.offset).UTC()}}
}

func (s *hostDateTimeSystem) UpdateDateTime(req *types.UpdateDateTime) soap.HasFault {
	s.offset = time.Until(req.DateTime)
	return &methods.UpdateDateTimeBody{Res: &types.UpdateDateTimeResponse{}}
}

func (s *hostDateTimeSystem) RefreshDateTimeSystem(*types.RefreshDateTimeSystem) soap.HasFault {
	return &methods.RefreshDateTimeSystemBody{Res: &types.RefreshDateTimeSystemResponse{}}
}
