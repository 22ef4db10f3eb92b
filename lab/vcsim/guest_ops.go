package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// VMware Tools guest operations without Docker. A VM gets a simulated guest through
// /lab/guest: a directory on this machine that stands for the guest's root file system, and
// the one guest account allowed to log in. Files transfer into and out of that directory;
// programs run on this machine under /bin/sh with:
//
//	cwd           <root>/<workingDirectory, default /tmp>
//	FAILBACK_ROOT <root>  (product scripts write guest paths as "${FAILBACK_ROOT:-}/etc/...")
//	PATH          <root>/usr/local/sbin:...:<root>/bin, then /usr/local/bin:/usr/bin:/bin,
//	              so the guest image's stub commands shadow the host's
//
// A Windows image (<root>/etc/failback-sim/image.json says "os": "windows") has its drives as
// directories: C:\Windows\Temp\x.ps1 is <root>/C/Windows/Temp/x.ps1. Its programs are the image's
// executables, run directly with the arguments split as Windows' CommandLineToArgvW splits them
// (no shell: a Windows guest has none), with the same FAILBACK_ROOT, timeout and exit codes.
//
// When a program ends, <root>/run/failback-sim/guestinfo.json (written by the image's stubs
// when they apply the network; see lab/guest) becomes the VM's guest.net, guest.ipStack and
// guest.ipAddress, as VMware Tools would report them.

const (
	guestFilePath       = "/guestFile"
	guestProgramTimeout = 120 * time.Second
	guestTransferTTL    = 10 * time.Minute
	// guestInfoFile is relative to the guest root.
	guestInfoFile = "run/failback-sim/guestinfo.json"
	// guestImageFile (relative to the guest root) says which operating system the image is.
	guestImageFile = "etc/failback-sim/image.json"
	// Where Windows programs start and temporary files go when the caller names no directory.
	windowsSystemDirectory = `C:\Windows\System32`
	windowsTempDirectory   = `C:\Windows\Temp`
	// Real guests have small pids; start somewhere plausible.
	firstGuestPid = 4000
)

// simulatedGuest is one VM's guest: its root directory, login and process table.
type simulatedGuest struct {
	root      string
	username  string
	password  string
	windows   bool // guest paths are drive paths (C:\...), programs run without a shell
	processes map[int64]*guestProcessInfo
}

// fileTransfer is one URL handed out by InitiateFileTransfer{To,From}Guest.
type fileTransfer struct {
	upload      bool
	hostPath    string
	permissions os.FileMode // for uploads; 0 keeps the default
	expires     time.Time
}

// guestOperations holds every simulated guest and pending file transfer.
type guestOperations struct {
	mu        sync.Mutex
	guests    map[string]*simulatedGuest // by VM moref value
	transfers map[string]fileTransfer    // by token
	nextPid   int64
	port      string // the simulator's port, for transfer URLs
}

var guests = &guestOperations{
	guests:    make(map[string]*simulatedGuest),
	transfers: make(map[string]fileTransfer),
	nextPid:   firstGuestPid,
}

// guestFileManager and guestProcessManager replace the stock ones, which need Docker.
type guestFileManager struct {
	mo.GuestFileManager
}

type guestProcessManager struct {
	mo.GuestProcessManager
}

func installGuestOperations(ref types.ManagedObjectReference) {
	stock := simulator.Map.Get(ref).(*simulator.GuestOperationsManager)
	files := &guestFileManager{}
	files.Self = *stock.FileManager
	simulator.Map.Put(files)
	processes := &guestProcessManager{}
	processes.Self = *stock.ProcessManager
	simulator.Map.Put(processes)
}

// --- /lab/guest: attach a simulated guest to a VM

type guestRequest struct {
	Moref    string `json:"moref"`
	Root     string `json:"root"` // "" detaches the guest
	Username string `json:"username"`
	Password string `json:"password"`
}

func setGuest(req guestRequest) error {
	if _, err := lookup[*simulator.VirtualMachine]("VirtualMachine", req.Moref); err != nil {
		return err
	}
	guests.mu.Lock()
	defer guests.mu.Unlock()
	if req.Root == "" {
		delete(guests.guests, req.Moref)
		return nil
	}
	if !filepath.IsAbs(req.Root) {
		return badRequest("root must be an absolute path, not %q", req.Root)
	}
	if info, err := os.Stat(req.Root); err != nil || !info.IsDir() {
		return badRequest("root %q is not a directory", req.Root)
	}
	if req.Username == "" || req.Password == "" {
		return badRequest("username and password are required")
	}
	processes := make(map[int64]*guestProcessInfo)
	if old := guests.guests[req.Moref]; old != nil {
		processes = old.processes // a new login does not reboot the guest
	}
	windows, err := imageIsWindows(req.Root)
	if err != nil {
		return badRequest("%v", err)
	}
	guests.guests[req.Moref] = &simulatedGuest{
		root: filepath.Clean(req.Root), username: req.Username, password: req.Password, windows: windows, processes: processes,
	}
	return nil
}

// imageIsWindows reads the image's operating system; a root without an image file is a Linux guest.
func imageIsWindows(root string) (bool, error) {
	data, err := os.ReadFile(filepath.Join(root, guestImageFile))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var image struct {
		OS string `json:"os"`
	}
	if err := json.Unmarshal(data, &image); err != nil {
		return false, fmt.Errorf("%s: %v", guestImageFile, err)
	}
	return image.OS == "windows", nil
}

// --- faults, as vCenter raises them

func guestFault(msg string, fault types.BaseMethodFault) *soap.Fault {
	return simulator.Fault(msg, fault)
}

var (
	errGuestUnavailable = func() *soap.Fault {
		return guestFault("The guest operations agent could not be contacted.", new(types.GuestOperationsUnavailable))
	}
	errInvalidGuestLogin = func() *soap.Fault {
		return guestFault("Failed to authenticate with the guest operating system using the supplied credentials.",
			new(types.InvalidGuestLogin))
	}
)

func fileNotFound(guestPath string) *soap.Fault {
	return guestFault(fmt.Sprintf("File %s was not found", guestPath), &types.FileNotFound{FileFault: types.FileFault{File: guestPath}})
}

func invalidArgument(property, msg string) *soap.Fault {
	return guestFault(msg, &types.InvalidArgument{InvalidProperty: property})
}

// guestFor checks what vCenter checks before a guest operation: the VM is on, VMware Tools
// runs in it, and the credentials are the guest's. It returns a copy of the guest's settings.
func guestFor(vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication) (simulatedGuest, *soap.Fault) {
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return simulatedGuest{}, guestFault("", &types.ManagedObjectNotFound{Obj: vmRef})
	}
	var power types.VirtualMachinePowerState
	var tools string
	simulator.Map.WithLock(vm, func() {
		power = vm.Runtime.PowerState
		if vm.Guest != nil {
			tools = vm.Guest.ToolsRunningStatus
		}
	})
	if power != types.VirtualMachinePowerStatePoweredOn || tools != string(types.VirtualMachineToolsRunningStatusGuestToolsRunning) {
		return simulatedGuest{}, errGuestUnavailable()
	}
	guests.mu.Lock()
	guest := guests.guests[vmRef.Value]
	guests.mu.Unlock()
	if guest == nil {
		return simulatedGuest{}, errGuestUnavailable()
	}
	creds, ok := auth.(*types.NamePasswordAuthentication)
	if !ok || creds.Username != guest.username || creds.Password != guest.password {
		return simulatedGuest{}, errInvalidGuestLogin()
	}
	return *guest, nil
}

// isAbsolute: "/..." on Linux, "C:\..." (or "C:/...") on Windows.
func (g simulatedGuest) isAbsolute(guestPath string) bool {
	if !g.windows {
		return strings.HasPrefix(guestPath, "/")
	}
	return len(guestPath) >= 3 && (guestPath[0]|0x20 >= 'a' && guestPath[0]|0x20 <= 'z') && guestPath[1] == ':' &&
		(guestPath[2] == '\\' || guestPath[2] == '/')
}

// hostPath maps an absolute guest path into the guest root; ".." cannot climb out of it. A Windows
// path's drive letter is a directory under the root, its case kept as given.
func (g simulatedGuest) hostPath(guestPath string) (string, *soap.Fault) {
	if !g.isAbsolute(guestPath) {
		return "", invalidArgument("guestFilePath", fmt.Sprintf("guest path %q is not absolute", guestPath))
	}
	if g.windows {
		rest := strings.ReplaceAll(guestPath[3:], `\`, "/")
		return filepath.Join(g.root, guestPath[:1], path.Clean("/"+rest)), nil
	}
	return filepath.Join(g.root, path.Clean(guestPath)), nil
}

// guestSeparator is the guest's path separator.
func (g simulatedGuest) guestSeparator() string {
	if g.windows {
		return `\`
	}
	return "/"
}

// guestDir is the directory part of a guest path, as the guest writes it.
func (g simulatedGuest) guestDir(guestPath string) string {
	if !g.windows {
		return path.Dir(guestPath)
	}
	cut := strings.LastIndexAny(guestPath, `\/`)
	if cut <= 2 {
		return guestPath[:3] // the drive's root
	}
	return guestPath[:cut]
}

// guestBase is the last element of a guest path.
func (g simulatedGuest) guestBase(guestPath string) string {
	if !g.windows {
		return path.Base(guestPath)
	}
	return guestPath[strings.LastIndexAny(guestPath, `\/`)+1:]
}

// --- GuestFileManager

func newTransferToken() string {
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		panic(err) // no randomness: nothing safe to hand out
	}
	return hex.EncodeToString(buf)
}

// transferURL registers a transfer and returns its URL. The host is "*" as on a real ESXi
// host; clients replace it with the host they connected to.
func transferURL(transfer fileTransfer) string {
	token := newTransferToken()
	transfer.expires = time.Now().Add(guestTransferTTL)
	guests.mu.Lock()
	defer guests.mu.Unlock()
	for t, pending := range guests.transfers { // forget abandoned transfers
		if time.Now().After(pending.expires) {
			delete(guests.transfers, t)
		}
	}
	guests.transfers[token] = transfer
	return fmt.Sprintf("https://*:%s%s?id=%s", guests.port, guestFilePath, token)
}

func (m *guestFileManager) InitiateFileTransferToGuest(req *types.InitiateFileTransferToGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferToGuestBody)
	guest, fault := guestFor(req.Vm, req.Auth)
	if fault == nil {
		var target string
		if target, fault = guest.hostPath(req.GuestFilePath); fault == nil {
			fault = checkUploadTarget(target, req.GuestFilePath, guest.guestDir(req.GuestFilePath), req.Overwrite)
		}
		if fault == nil {
			transfer := fileTransfer{upload: true, hostPath: target}
			if attrs, ok := req.FileAttributes.(*types.GuestPosixFileAttributes); ok && attrs.Permissions != 0 {
				transfer.permissions = os.FileMode(attrs.Permissions) & os.ModePerm
			}
			body.Res = &types.InitiateFileTransferToGuestResponse{Returnval: transferURL(transfer)}
		}
	}
	body.Fault_ = fault
	return body
}

// checkUploadTarget fails as a guest would: the directory must exist, an existing file is only
// replaced with overwrite, and a directory never.
func checkUploadTarget(target, guestPath, guestDir string, overwrite bool) *soap.Fault {
	if info, err := os.Stat(filepath.Dir(target)); err != nil || !info.IsDir() {
		return fileNotFound(guestDir)
	}
	info, err := os.Stat(target)
	switch {
	case err != nil:
		return nil
	case info.IsDir():
		return guestFault(guestPath+" is a directory", &types.NotAFile{FileFault: types.FileFault{File: guestPath}})
	case !overwrite:
		return guestFault(guestPath+" already exists", &types.FileAlreadyExists{FileFault: types.FileFault{File: guestPath}})
	}
	return nil
}

func (m *guestFileManager) InitiateFileTransferFromGuest(req *types.InitiateFileTransferFromGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferFromGuestBody)
	guest, fault := guestFor(req.Vm, req.Auth)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	source, fault := guest.hostPath(req.GuestFilePath)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	info, err := os.Stat(source)
	if err != nil {
		body.Fault_ = fileNotFound(req.GuestFilePath)
		return body
	}
	if !info.Mode().IsRegular() {
		body.Fault_ = guestFault(req.GuestFilePath+" is not a file", &types.NotAFile{FileFault: types.FileFault{File: req.GuestFilePath}})
		return body
	}
	modified := info.ModTime().UTC()
	times := types.GuestFileAttributes{ModificationTime: &modified, AccessTime: &modified}
	var attributes types.BaseGuestFileAttributes = &types.GuestPosixFileAttributes{GuestFileAttributes: times, Permissions: int64(info.Mode().Perm())}
	if guest.windows {
		attributes = &types.GuestWindowsFileAttributes{GuestFileAttributes: times, CreateTime: &modified}
	}
	body.Res = &types.InitiateFileTransferFromGuestResponse{Returnval: types.FileTransferInformation{
		Attributes: attributes,
		Size:       info.Size(),
		Url:        transferURL(fileTransfer{hostPath: source}),
	}}
	return body
}

func (m *guestFileManager) DeleteFileInGuest(req *types.DeleteFileInGuest) soap.HasFault {
	body := new(methods.DeleteFileInGuestBody)
	guest, fault := guestFor(req.Vm, req.Auth)
	if fault == nil {
		var target string
		if target, fault = guest.hostPath(req.FilePath); fault == nil {
			info, err := os.Lstat(target)
			switch {
			case err != nil:
				fault = fileNotFound(req.FilePath)
			case info.IsDir():
				fault = guestFault(req.FilePath+" is a directory", &types.NotAFile{FileFault: types.FileFault{File: req.FilePath}})
			default:
				if err := os.Remove(target); err != nil {
					fault = guestFault(err.Error(), &types.GuestPermissionDenied{})
				}
			}
		}
	}
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	body.Res = &types.DeleteFileInGuestResponse{}
	return body
}

func (m *guestFileManager) CreateTemporaryFileInGuest(req *types.CreateTemporaryFileInGuest) soap.HasFault {
	body := new(methods.CreateTemporaryFileInGuestBody)
	guest, fault := guestFor(req.Vm, req.Auth)
	directory := req.DirectoryPath
	if directory == "" {
		directory = "/tmp"
		if guest.windows {
			directory = windowsTempDirectory
		}
	}
	var hostDir string
	if fault == nil {
		hostDir, fault = guest.hostPath(directory)
	}
	if fault == nil {
		file, err := os.CreateTemp(hostDir, req.Prefix+"*"+req.Suffix)
		if err != nil {
			fault = fileNotFound(directory)
		} else {
			_ = file.Close()
			name := strings.TrimRight(directory, guest.guestSeparator()) + guest.guestSeparator() + filepath.Base(file.Name())
			body.Res = &types.CreateTemporaryFileInGuestResponse{Returnval: name}
		}
	}
	body.Fault_ = fault
	return body
}

// withGuestFiles serves guest file transfers before the next handler sees the request.
func withGuestFiles(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == guestFilePath {
			serveGuestFile(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// serveGuestFile answers the URLs of InitiateFileTransfer{To,From}Guest: PUT stores the body,
// GET returns the file. Each token serves one request.
func serveGuestFile(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("id")
	guests.mu.Lock()
	transfer, ok := guests.transfers[token]
	delete(guests.transfers, token)
	guests.mu.Unlock()
	if !ok || time.Now().After(transfer.expires) {
		http.Error(w, "unknown or expired transfer", http.StatusNotFound)
		return
	}
	switch {
	case transfer.upload && r.Method == http.MethodPut:
		if err := writeGuestFile(transfer, r.Body); err != nil {
			log.Printf("guest file upload to %s: %v", transfer.hostPath, err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	case !transfer.upload && r.Method == http.MethodGet:
		http.ServeFile(w, r, transfer.hostPath)
	default:
		http.Error(w, "wrong method for this transfer", http.StatusMethodNotAllowed)
	}
}

func writeGuestFile(transfer fileTransfer, content io.Reader) error {
	mode := transfer.permissions
	if mode == 0 {
		mode = 0o644
	}
	// Write beside the target and rename, so a program never reads half a file.
	partial, err := os.CreateTemp(filepath.Dir(transfer.hostPath), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(partial.Name())
	if _, err := io.Copy(partial, content); err != nil {
		_ = partial.Close()
		return err
	}
	if err := partial.Close(); err != nil {
		return err
	}
	if err := os.Chmod(partial.Name(), mode); err != nil {
		return err
	}
	return os.Rename(partial.Name(), transfer.hostPath)
}

// --- GuestProcessManager

// ListProcessesInGuestResponse replaces the stock type, whose exitCode is dropped when it is 0
// (omitempty on an int32): pyvmomi would then read a finished program's exitCode as None.
type ListProcessesInGuestResponse struct {
	Returnval []guestProcessInfo `xml:"returnval,omitempty"`
}

type guestProcessInfo struct {
	Name      string     `xml:"name"`
	Pid       int64      `xml:"pid"`
	Owner     string     `xml:"owner"`
	CmdLine   string     `xml:"cmdLine"`
	StartTime time.Time  `xml:"startTime"`
	EndTime   *time.Time `xml:"endTime,omitempty"`
	ExitCode  *int32     `xml:"exitCode,omitempty"`
}

type listProcessesInGuestBody struct {
	Res    *ListProcessesInGuestResponse `xml:"ListProcessesInGuestResponse,omitempty"`
	Fault_ *soap.Fault                   `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *listProcessesInGuestBody) Fault() *soap.Fault { return b.Fault_ }

func (m *guestProcessManager) StartProgramInGuest(req *types.StartProgramInGuest) soap.HasFault {
	body := new(methods.StartProgramInGuestBody)
	guest, fault := guestFor(req.Vm, req.Auth)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	spec := req.Spec.GetGuestProgramSpec()
	if !guest.isAbsolute(spec.ProgramPath) {
		body.Fault_ = invalidArgument("programPath", fmt.Sprintf("program path %q is not absolute", spec.ProgramPath))
		return body
	}
	cmd, fault := guest.programCommand(spec.ProgramPath, spec.Arguments)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	workingDirectory := spec.WorkingDirectory
	switch {
	case workingDirectory != "":
	case guest.windows:
		workingDirectory = windowsSystemDirectory
	default:
		workingDirectory = "/tmp"
		_ = os.MkdirAll(filepath.Join(guest.root, "tmp"), 0o1777)
	}
	cwd, fault := guest.hostPath(workingDirectory)
	if fault != nil {
		body.Fault_ = fault
		return body
	}
	if info, err := os.Stat(cwd); err != nil || !info.IsDir() {
		body.Fault_ = fileNotFound(workingDirectory)
		return body
	}

	cmd.Dir = cwd
	cmd.Env = guest.environment(spec.EnvVariables)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // to kill what the program starts, too
	// Like VMware Tools, output goes nowhere: programs redirect it to a file they read back.
	if err := cmd.Start(); err != nil {
		body.Fault_ = guestFault(err.Error(), &types.GuestOperationsFault{})
		return body
	}

	quotedProgram := strconv.Quote(spec.ProgramPath)
	if guest.windows {
		quotedProgram = `"` + spec.ProgramPath + `"` // Windows quotes without escaping backslashes
	}
	info := &guestProcessInfo{
		Name:      guest.guestBase(spec.ProgramPath),
		Owner:     guest.username,
		CmdLine:   strings.TrimSpace(quotedProgram + " " + spec.Arguments),
		StartTime: time.Now().UTC(),
	}
	guests.mu.Lock()
	guests.nextPid++
	info.Pid = guests.nextPid
	// The guest may have been replaced meanwhile; record the process in the current one.
	if current := guests.guests[req.Vm.Value]; current != nil {
		current.processes[info.Pid] = info
	}
	guests.mu.Unlock()

	guestProcessGroups.Store(info.Pid, cmd.Process.Pid)
	go waitForProgram(req.Vm, guest.root, cmd, info)
	body.Res = &types.StartProgramInGuestResponse{Returnval: info.Pid}
	return body
}

// programCommand runs a program the guest image provides from the guest root. On Linux anything
// else (/bin/sh, /bin/bash...) runs from this machine, through /bin/sh -c as vmtoolsd does; a
// Windows guest only has its image's programs, started with the arguments Windows would pass.
func (g simulatedGuest) programCommand(guestPath, arguments string) (*exec.Cmd, *soap.Fault) {
	inGuest, fault := g.hostPath(guestPath)
	if fault != nil {
		return nil, fault
	}
	isFile := func(p string) bool { info, err := os.Stat(p); return err == nil && !info.IsDir() }
	switch {
	case g.windows && isFile(inGuest):
		return exec.Command(inGuest, windowsArguments(arguments)...), nil
	case g.windows:
		return nil, fileNotFound(guestPath)
	case isFile(inGuest):
		return exec.Command("/bin/sh", "-c", shellQuote(inGuest)+" "+arguments), nil
	case isFile(guestPath):
		return exec.Command("/bin/sh", "-c", shellQuote(guestPath)+" "+arguments), nil
	}
	return nil, fileNotFound(guestPath)
}

// windowsArguments splits a command line's arguments as CommandLineToArgvW does: blanks separate
// them outside double quotes; 2n backslashes before a quote are n backslashes and the quote
// toggles quoting, 2n+1 are n and a literal quote; "" inside quotes is a literal quote; other
// backslashes are literal.
func windowsArguments(line string) []string {
	var args []string
	var current strings.Builder
	inQuotes, started := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\':
			backslashes := 0
			for i < len(line) && line[i] == '\\' {
				backslashes++
				i++
			}
			if i < len(line) && line[i] == '"' {
				current.WriteString(strings.Repeat(`\`, backslashes/2))
				if backslashes%2 == 1 {
					current.WriteByte('"')
				} else {
					inQuotes = !inQuotes
				}
			} else {
				current.WriteString(strings.Repeat(`\`, backslashes))
				i-- // the loop moves past the character after the backslashes
			}
			started = true
		case c == '"':
			if inQuotes && i+1 < len(line) && line[i+1] == '"' {
				current.WriteByte('"')
				i++
			} else {
				inQuotes = !inQuotes
			}
			started = true
		case (c == ' ' || c == '\t') && !inQuotes:
			if started {
				args = append(args, current.String())
				current.Reset()
				started = false
			}
		default:
			current.WriteByte(c)
			started = true
		}
	}
	if started {
		args = append(args, current.String())
	}
	return args
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// environment: the guest's own program directories first, then this machine's (which run the
// image's stubs).
func (g simulatedGuest) environment(extra []string) []string {
	guestDirs := []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}
	home := filepath.Join(g.root, "root")
	if g.windows {
		guestDirs = []string{"/C/Windows/System32", "/C/Windows", "/C/Windows/System32/WindowsPowerShell/v1.0"}
		home = filepath.Join(g.root, "C/Users", g.username)
	}
	var searchPath []string
	for _, dir := range guestDirs {
		searchPath = append(searchPath, g.root+dir)
	}
	searchPath = append(searchPath, "/usr/local/bin", "/usr/bin", "/bin")
	env := []string{
		"FAILBACK_ROOT=" + g.root,
		"PATH=" + strings.Join(searchPath, ":"),
		"HOME=" + home,
		"LANG=C.UTF-8",
	}
	return append(env, extra...) // later entries win
}

// waitForProgram records how the program ended, killing it after guestProgramTimeout, then
// reports the guest's network as VMware Tools would.
func waitForProgram(vmRef types.ManagedObjectReference, root string, cmd *exec.Cmd, info *guestProcessInfo) {
	timer := time.AfterFunc(guestProgramTimeout, func() {
		log.Printf("guest program %d ran over %s: killing it", info.Pid, guestProgramTimeout)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	err := cmd.Wait()
	timer.Stop()
	guestProcessGroups.Delete(info.Pid)

	exitCode := int32(0)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		exitCode = int32(exitErr.ExitCode())
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			exitCode = 128 + int32(status.Signal()) // as a shell reports it
		}
	} else if err != nil {
		exitCode = 1
	}

	if err := reportGuestNetwork(vmRef, root, info.StartTime); err != nil {
		log.Printf("guest program %d: reporting the guest network: %v", info.Pid, err)
	}

	end := time.Now().UTC()
	guests.mu.Lock()
	info.EndTime, info.ExitCode = &end, &exitCode
	guests.mu.Unlock()
}

func (m *guestProcessManager) ListProcessesInGuest(req *types.ListProcessesInGuest) soap.HasFault {
	body := new(listProcessesInGuestBody)
	if _, fault := guestFor(req.Vm, req.Auth); fault != nil {
		body.Fault_ = fault
		return body
	}
	res := &ListProcessesInGuestResponse{}
	guests.mu.Lock()
	if guest := guests.guests[req.Vm.Value]; guest != nil {
		wanted := make(map[int64]bool)
		for _, pid := range req.Pids {
			wanted[pid] = true
		}
		for pid, info := range guest.processes {
			if len(wanted) == 0 || wanted[pid] {
				res.Returnval = append(res.Returnval, *info) // a copy, encoded after the lock is gone
			}
		}
	}
	guests.mu.Unlock()
	body.Res = res
	return body
}

func (m *guestProcessManager) TerminateProcessInGuest(req *types.TerminateProcessInGuest) soap.HasFault {
	body := new(methods.TerminateProcessInGuestBody)
	if _, fault := guestFor(req.Vm, req.Auth); fault != nil {
		body.Fault_ = fault
		return body
	}
	guests.mu.Lock()
	var info *guestProcessInfo
	if guest := guests.guests[req.Vm.Value]; guest != nil {
		info = guest.processes[req.Pid]
	}
	running := info != nil && info.EndTime == nil
	guests.mu.Unlock()
	if !running {
		body.Fault_ = guestFault(fmt.Sprintf("process %d not found", req.Pid), &types.GuestProcessNotFound{Pid: req.Pid})
		return body
	}
	terminateGuestProcess(req.Pid)
	body.Res = &types.TerminateProcessInGuestResponse{}
	return body
}

// guestProcessGroups maps guest pids to the host process groups that run them.
var guestProcessGroups sync.Map

// stopGuestPrograms kills every guest program still running, so none outlives the simulator.
func stopGuestPrograms() {
	guestProcessGroups.Range(func(_, group interface{}) bool {
		_ = syscall.Kill(-group.(int), syscall.SIGKILL)
		return true
	})
}

func terminateGuestProcess(pid int64) {
	if group, ok := guestProcessGroups.Load(pid); ok {
		_ = syscall.Kill(-group.(int), syscall.SIGTERM)
	}
}

// --- the guest network, as VMware Tools reports it

// guestInfo is <root>/run/failback-sim/guestinfo.json, written by the guest image's stubs
// (lab/guest) whenever they apply a network configuration.
type guestInfo struct {
	Hostname   *string          `json:"hostname"`
	Interfaces []guestInterface `json:"interfaces"`
	Gateway    string           `json:"gateway"`
	DNS        []string         `json:"dns"`
}

type guestInterface struct {
	Name      string    `json:"name"` // the guest's device name; vSphere does not report it
	MAC       string    `json:"mac"`
	DHCP      bool      `json:"dhcp"`
	Addresses []guestIP `json:"addresses"`
}

// reportGuestNetwork updates the VM's guest info from guestinfo.json when the program that just
// ended (or anything since it started) wrote it.
func reportGuestNetwork(vmRef types.ManagedObjectReference, root string, since time.Time) error {
	file := filepath.Join(root, guestInfoFile)
	stat, err := os.Stat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	// File times come from the kernel's coarse clock: allow for it lagging a little.
	if stat.ModTime().Before(since.Add(-time.Second)) {
		return nil
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var info guestInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return fmt.Errorf("%s: %v", file, err)
	}
	nets := make([]guestNIC, 0, len(info.Interfaces))
	for _, nic := range info.Interfaces {
		nets = append(nets, guestNIC{MAC: nic.MAC, Network: vmNetworkFor(vmRef, nic.MAC), IPs: nic.Addresses, DHCP: nic.DHCP})
	}
	dns := info.DNS
	if dns == nil {
		dns = []string{} // reported as none, not left as it was
	}
	gateway := info.Gateway
	return setVM(vmRequest{Moref: vmRef.Value, Net: nets, Gateway: &gateway, DNS: dns, Hostname: info.Hostname})
}

// vmNetworkFor names the network of the VM's virtual NIC with this MAC, as Tools reports it.
func vmNetworkFor(vmRef types.ManagedObjectReference, mac string) string {
	vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine)
	if !ok {
		return ""
	}
	network := ""
	simulator.Map.WithLock(vm, func() {
		if vm.Config == nil {
			return
		}
		for _, device := range vm.Config.Hardware.Device {
			card, ok := device.(types.BaseVirtualEthernetCard)
			if !ok || !strings.EqualFold(card.GetVirtualEthernetCard().MacAddress, mac) {
				continue
			}
			switch backing := card.GetVirtualEthernetCard().Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				network = backing.DeviceName
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				portgroup := types.ManagedObjectReference{Type: "DistributedVirtualPortgroup", Value: backing.Port.PortgroupKey}
				if entity, ok := simulator.Map.Get(portgroup).(mo.Entity); ok {
					network = entity.Entity().Name
				}
			}
		}
	})
	return network
}
