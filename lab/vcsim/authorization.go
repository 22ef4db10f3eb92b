package main

import (
	"sort"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	adminRoleID    = -1
	noAccessRoleID = -5
)

// Every role but NoAccess carries these, as in vSphere.
var systemPrivileges = []string{"System.Anonymous", "System.View", "System.Read"}

// authorizationManager computes privileges from the permissions and roles set over SOAP,
// where the stock one grants every privilege to everyone.
//
// A principal's privileges on an entity come from the nearest permission naming that user:
// on the entity itself, or on an ancestor (following the inventory parent chain) with
// propagate set. Group permissions are ignored: the simulator knows no group membership.
type authorizationManager struct {
	simulator.AuthorizationManager // embedded by value: the PropertyCollector digs the mo type out of field 0
}

func installAuthorizationManager(ref types.ManagedObjectReference) {
	stock := simulator.Map.Get(ref).(*simulator.AuthorizationManager)
	m := &authorizationManager{AuthorizationManager: *stock}
	// The stock privilegeList is empty; the Admin role lists every privilege the simulator knows.
	if len(m.PrivilegeList) == 0 {
		for _, id := range object.AuthorizationRoleList(m.RoleList).ById(adminRoleID).Privilege {
			m.PrivilegeList = append(m.PrivilegeList, types.AuthorizationPrivilege{
				PrivId:        id,
				Name:          id,
				OnParent:      false,
				PrivGroupName: id[:strings.LastIndex(id, ".")],
			})
		}
	}
	simulator.Map.Put(m)
}

// canonicalPrincipal makes "User@Domain" and "DOMAIN\user" compare equal.
func canonicalPrincipal(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if i := strings.Index(name, `\`); i >= 0 {
		return name[i+1:] + "@" + name[:i]
	}
	return name
}

// permissionsOn returns the permissions set directly on entity.
func (m *authorizationManager) permissionsOn(entity types.ManagedObjectReference) []types.Permission {
	body := m.RetrieveEntityPermissions(&types.RetrieveEntityPermissions{Entity: entity})
	return body.(*methods.RetrieveEntityPermissionsBody).Res.Returnval
}

// nearestPermission walks from entity up to the root folder and returns the permission that
// decides the user's access, or nil when none applies.
func (m *authorizationManager) nearestPermission(entity mo.Entity, user string) *types.Permission {
	user = canonicalPrincipal(user)
	for inherited := false; entity != nil; inherited = true {
		for _, p := range m.permissionsOn(entity.Reference()) {
			if !p.Group && canonicalPrincipal(p.Principal) == user && (p.Propagate || !inherited) {
				return &p
			}
		}
		parent := entity.Entity().Parent
		if parent == nil {
			break
		}
		entity, _ = simulator.Map.Get(*parent).(mo.Entity)
	}
	return nil
}

// rolePrivileges returns the set of privileges a role grants.
func (m *authorizationManager) rolePrivileges(roleID int32) map[string]bool {
	granted := make(map[string]bool)
	switch roleID {
	case noAccessRoleID:
		return granted
	case adminRoleID:
		for _, p := range m.PrivilegeList {
			granted[p.PrivId] = true
		}
		return granted
	}
	role := object.AuthorizationRoleList(m.RoleList).ById(roleID)
	if role == nil { // the role was removed after the permission was set
		return granted
	}
	for _, id := range append(role.Privilege, systemPrivileges...) {
		granted[id] = true
	}
	return granted
}

// userPrivileges returns what user holds on ref, or a ManagedObjectNotFound fault.
func (m *authorizationManager) userPrivileges(ref types.ManagedObjectReference, user string) (map[string]bool, *soap.Fault) {
	entity, ok := simulator.Map.Get(ref).(mo.Entity)
	if !ok {
		return nil, simulator.Fault("", &types.ManagedObjectNotFound{Obj: ref})
	}
	if p := m.nearestPermission(entity, user); p != nil {
		return m.rolePrivileges(p.RoleId), nil
	}
	return map[string]bool{}, nil
}

// availability answers "does user hold each of privIDs on each entity".
func (m *authorizationManager) availability(entities []types.ManagedObjectReference, user string, privIDs []string) ([]types.EntityPrivilege, *soap.Fault) {
	var result []types.EntityPrivilege
	for _, ref := range entities {
		granted, fault := m.userPrivileges(ref, user)
		if fault != nil {
			return nil, fault
		}
		entry := types.EntityPrivilege{Entity: ref}
		for _, id := range privIDs {
			entry.PrivAvailability = append(entry.PrivAvailability, types.PrivilegeAvailability{PrivId: id, IsGranted: granted[id]})
		}
		result = append(result, entry)
	}
	return result, nil
}

// sessionUser returns the user name of the session with the given key.
func sessionUser(ctx *simulator.Context, key string) (string, *soap.Fault) {
	if ctx.Session.Key == key {
		return ctx.Session.UserName, nil
	}
	// The session's view of the SessionManager lists every live session.
	manager := ctx.Session.Get(simulator.Map.SessionManager().Reference()).(*simulator.SessionManager)
	for _, s := range manager.SessionList {
		if s.Key == key {
			return s.UserName, nil
		}
	}
	return "", simulator.Fault("unknown session", &types.InvalidArgument{InvalidProperty: "sessionId"})
}

func (m *authorizationManager) HasPrivilegeOnEntities(ctx *simulator.Context, req *types.HasPrivilegeOnEntities) soap.HasFault {
	body := &methods.HasPrivilegeOnEntitiesBody{}
	user, fault := sessionUser(ctx, req.SessionId)
	if fault == nil {
		var result []types.EntityPrivilege
		if result, fault = m.availability(req.Entity, user, req.PrivId); fault == nil {
			body.Res = &types.HasPrivilegeOnEntitiesResponse{Returnval: result}
		}
	}
	body.Fault_ = fault
	return body
}

func (m *authorizationManager) HasUserPrivilegeOnEntities(req *types.HasUserPrivilegeOnEntities) soap.HasFault {
	body := &methods.HasUserPrivilegeOnEntitiesBody{}
	result, fault := m.availability(req.Entities, req.UserName, req.PrivId)
	if fault == nil {
		body.Res = &types.HasUserPrivilegeOnEntitiesResponse{Returnval: result}
	}
	body.Fault_ = fault
	return body
}

// HasPrivilegeOnEntityResponse replaces the generated type, whose `omitempty` on []bool makes
// encoding/xml drop every false element. The SOAP element is named after this type.
type HasPrivilegeOnEntityResponse struct {
	Returnval []bool `xml:"returnval"`
}

type hasPrivilegeOnEntityBody struct {
	Res    *HasPrivilegeOnEntityResponse
	Fault_ *soap.Fault
}

func (b *hasPrivilegeOnEntityBody) Fault() *soap.Fault { return b.Fault_ }

func (m *authorizationManager) HasPrivilegeOnEntity(ctx *simulator.Context, req *types.HasPrivilegeOnEntity) soap.HasFault {
	body := &hasPrivilegeOnEntityBody{}
	user, fault := sessionUser(ctx, req.SessionId)
	if fault == nil {
		var result []types.EntityPrivilege
		if result, fault = m.availability([]types.ManagedObjectReference{req.Entity}, user, req.PrivId); fault == nil {
			res := &HasPrivilegeOnEntityResponse{Returnval: []bool{}}
			for _, a := range result[0].PrivAvailability {
				res.Returnval = append(res.Returnval, a.IsGranted)
			}
			body.Res = res
		}
	}
	body.Fault_ = fault
	return body
}

func (m *authorizationManager) FetchUserPrivilegeOnEntities(req *types.FetchUserPrivilegeOnEntities) soap.HasFault {
	body := &methods.FetchUserPrivilegeOnEntitiesBody{}
	var result []types.UserPrivilegeResult
	for _, ref := range req.Entities {
		granted, fault := m.userPrivileges(ref, req.UserName)
		if fault != nil {
			body.Fault_ = fault
			return body
		}
		privileges := make([]string, 0, len(granted))
		for id := range granted {
			privileges = append(privileges, id)
		}
		sort.Strings(privileges)
		result = append(result, types.UserPrivilegeResult{Entity: ref, Privileges: privileges})
	}
	body.Res = &types.FetchUserPrivilegeOnEntitiesResponse{Returnval: result}
	return body
}

// SetEntityPermissions adds or replaces the given principals' permissions on the entity, as
// vCenter does; the stock simulator replaces the entity's whole permission list.
func (m *authorizationManager) SetEntityPermissions(req *types.SetEntityPermissions) soap.HasFault {
	if _, ok := simulator.Map.Get(req.Entity).(mo.Entity); !ok {
		return &methods.SetEntityPermissionsBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Entity})}
	}
	merged := append([]types.Permission(nil), req.Permission...)
	for _, old := range m.permissionsOn(req.Entity) {
		if !containsPrincipal(req.Permission, old) {
			merged = append(merged, old)
		}
	}
	for i := range merged {
		merged[i].Entity = &req.Entity
	}
	req.Permission = merged
	return m.AuthorizationManager.SetEntityPermissions(req)
}

func containsPrincipal(list []types.Permission, p types.Permission) bool {
	for _, q := range list {
		if q.Group == p.Group && canonicalPrincipal(q.Principal) == canonicalPrincipal(p.Principal) {
			return true
		}
	}
	return false
}

// AddAuthorizationRole returns the new role's id, which the stock method leaves at 0, and
// numbers custom roles from 1 upward (the stock ones start at 0, a falsy id).
func (m *authorizationManager) AddAuthorizationRole(req *types.AddAuthorizationRole) soap.HasFault {
	var highest int32
	for _, role := range m.RoleList {
		if role.RoleId > highest {
			highest = role.RoleId
		}
	}
	body := m.AuthorizationManager.AddAuthorizationRole(req).(*methods.AddAuthorizationRoleBody)
	if body.Fault_ == nil {
		added := &m.RoleList[len(m.RoleList)-1]
		added.RoleId = highest + 1
		body.Res.Returnval = added.RoleId
	}
	return body
}
