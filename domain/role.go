package domain

// Role is the capacity in which an actor decides. Roles are recorded in the
// ledger (ProductCreated, RoleAssigned, RoleRevoked), not taken from a login.
type Role string

// The four roles of the domain brief.
const (
	RolePM          Role = "pm"
	RolePO          Role = "po"
	RoleStakeholder Role = "stakeholder"
	RoleTeam        Role = "team"
)

// Roles lists every role, in the order the brief names them.
var Roles = []Role{RolePM, RolePO, RoleStakeholder, RoleTeam}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if r == x {
			return true
		}
	}
	return false
}

// Title is the role's name as people say it.
func (r Role) Title() string {
	switch r {
	case RolePM:
		return "Product Manager"
	case RolePO:
		return "Product Owner"
	case RoleStakeholder:
		return "Stakeholder"
	case RoleTeam:
		return "Team"
	}
	return string(r)
}
