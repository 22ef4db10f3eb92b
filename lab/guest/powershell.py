"""The simulated Windows guest's powershell.exe: the subset of Windows PowerShell 5.1 the product runs.

install_guest() copies this file (and commands.py, whose Guest keeps the network state) into the image and writes
<root>/C/Windows/System32/WindowsPowerShell/v1.0/powershell.exe, a stub that calls main(argv, root).
Standard library only.

What it runs, parsed strictly (anything else is a parse error or an unknown command/parameter, as in PowerShell):
    powershell.exe [-NoProfile] [-NonInteractive] [-ExecutionPolicy <policy>] -Command <text>
    statements: $Variable = <value> | try { ... } catch { ... } | exit [<n>] | pipelines of commands
    arguments:  'verbatim', "expanding `t $($_.Property.Property) $var", numbers, $true/$false/$null/$var,
                a,b (arrays), { script blocks }, -Parameter value, -Switch:$false
    & '<C:\\path.ps1>' [*> '<C:\\log>']   runs a script file (BOM-less files are read as ANSI, as 5.1 does);
                                          *> writes every stream to the file in UTF-16LE, as 5.1's Out-File
    cmdlets:    Get-NetAdapter, Get-NetIPAddress, Remove-NetIPAddress, Get-NetRoute, Remove-NetRoute,
                Set-NetIPInterface, New-NetIPAddress, Set-DnsClientServerAddress, ForEach-Object, Write-Output

Errors behave as in PowerShell: a cmdlet's error is non-terminating unless the error action is Stop; unknown
commands and parameters end their statement; try/catch catches what terminates. An error that terminates the whole
-Command is written to stderr (a redirection inside the command does not take it) and powershell.exe exits 1; else it
exits 0, or 1 when the last statement failed (as -Command reports a script's non-zero exit).

The network changes at once, cmdlet by cmdlet, as on Windows: each change rewrites guestinfo.json. When the image
says "administrator": false, the changing cmdlets fail with "Access is denied." (a guest account that is not an
elevated Administrator); the read-only ones still work.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from failback_guest_commands import Guest, log_command  # the image's copy of lab/guest/commands.py

LOOPBACK_ALIAS = "Loopback Pseudo-Interface 1"
IF_INDEX, LOOPBACK_INDEX = 6, 1


# ----------------------------------------------------------------------------------- errors


@dataclass
class ErrorRecord:
    message: str
    command: str = ""  # the cmdlet that failed, "" for parse and lookup errors
    category: str = "NotSpecified"
    error_id: str = ""
    line: int = 0
    text: str = ""  # the source line
    script: str = ""  # the guest path of the script it ran in

    def formatted(self) -> str:
        """PowerShell 5.1's error view, as it lands in a redirected stream."""
        head = f"{self.command} : {self.message}" if self.command else self.message
        lines = [head]
        if self.line:
            lines += [f"At {self.script or 'line'}:{self.line} char:1", f"+ {self.text}", "+ " + "~" * max(1, len(self.text))]
        lines += [f"    + CategoryInfo          : {self.category}: (:) [{self.command}], CimException" if self.command
                  else f"    + CategoryInfo          : {self.category}: (:) [], RuntimeException",
                  f"    + FullyQualifiedErrorId : {self.error_id}" + (f",{self.command}" if self.command else "")]
        return "\n".join(lines)


class Terminating(Exception):
    """An error that ends the statement (and, with Stop or outside try, what encloses it)."""

    def __init__(self, record: ErrorRecord):
        super().__init__(record.message)
        self.record = record


class ParseError(Exception):
    pass


class ExitScript(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


# ----------------------------------------------------------------------------------- parsing

_TOKEN = re.compile(r"""
    (?P<space>[ \t]+|`\r?\n)
  | (?P<comment>\#[^\r\n]*)
  | (?P<newline>\r?\n|;)
  | (?P<squote>'(?:[^']|'')*')
  | (?P<dquote>"(?:[^"`]|`.)*")
  | (?P<redirect>\*>|2>&1|>)
  | (?P<symbol>[{}|,=&()])
  | (?P<variable>\$[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<parameter>-[A-Za-z][A-Za-z0-9]*:?)
  | (?P<number>\d+(?=[\s;|,)}]|$))
  | (?P<word>[A-Za-z][A-Za-z0-9_.\\:/-]*)
""", re.VERBOSE)


@dataclass
class Token:
    kind: str
    text: str
    line: int


def tokenize(source: str) -> list[Token]:
    tokens, position, line = [], 0, 1
    while position < len(source):
        match = _TOKEN.match(source, position)
        if not match:
            raise ParseError(f"At line:{line} char:{position - source.rfind(chr(10), 0, position)}\n"
                             f"Unexpected token '{source[position:position + 20].splitlines()[0]}' in expression or statement.")
        kind, text = match.lastgroup or "", match.group()
        if kind not in ("space", "comment"):
            tokens.append(Token(kind, text, line))
        line += text.count("\n")
        position = match.end()
    tokens.append(Token("end", "", line))
    return tokens


@dataclass
class Argument:
    parameter: str | None  # "-Name" without the dash, or None for a positional value
    value: Any = None  # an expression; None for a switch without a value
    has_value: bool = False


@dataclass
class Command:
    name: str  # a cmdlet, or "&" with the script path as its only argument
    arguments: list[Argument]
    line: int
    text: str


@dataclass
class Pipeline:
    commands: list[Command]
    redirect: Any = None  # the target expression of *>, None without
    line: int = 0


@dataclass
class Assignment:
    variable: str
    value: Any


@dataclass
class Try:
    body: list[Any]
    handler: list[Any]


@dataclass
class Exit:
    code: Any


@dataclass
class ScriptBlock:
    statements: list[Any]


@dataclass
class Literal:
    value: Any


@dataclass
class Variable:
    name: str


@dataclass
class Expandable:
    text: str  # a double-quoted string's body


@dataclass
class ArrayLiteral:
    items: list[Any]


class Parser:
    def __init__(self, source: str):
        self.lines = source.splitlines()
        self.tokens = tokenize(source)
        self.index = 0

    def peek(self) -> Token:
        return self.tokens[self.index]

    def take(self, kind: str | None = None, text: str | None = None) -> Token:
        token = self.peek()
        if (kind and token.kind != kind) or (text and token.text != text):
            wanted = text or kind
            raise ParseError(f"At line:{token.line}\nMissing '{wanted}' before '{token.text or 'end of input'}'.")
        self.index += 1
        return token

    def at(self, kind: str, text: str | None = None) -> bool:
        token = self.peek()
        return token.kind == kind and (text is None or token.text == text)

    def script(self) -> list[Any]:
        statements = self.statements(until="end")
        self.take("end")
        return statements

    def statements(self, until: str) -> list[Any]:
        statements = []
        while True:
            while self.at("newline"):
                self.take()
            if self.at("end") or (until == "}" and self.at("symbol", "}")):
                return statements
            statements.append(self.statement())
            if not (self.at("newline") or self.at("end") or self.at("symbol", "}")):
                token = self.peek()
                raise ParseError(f"At line:{token.line}\nUnexpected token '{token.text}' in expression or statement.")

    def block(self) -> list[Any]:
        self.take("symbol", "{")
        statements = self.statements(until="}")
        self.take("symbol", "}")
        return statements

    def statement(self) -> Any:
        token = self.peek()
        if token.kind == "variable" and self.tokens[self.index + 1].text == "=":
            self.index += 2
            return Assignment(token.text[1:].lower(), self.value())
        if token.kind == "word" and token.text.lower() == "try":
            self.take()
            body = self.block()
            while self.at("newline"):
                self.take()
            if not (self.at("word") and self.peek().text.lower() == "catch"):
                raise ParseError(f"At line:{self.peek().line}\nThe Try statement is missing its Catch or Finally block.")
            self.take()
            return Try(body, self.block())
        if token.kind == "word" and token.text.lower() == "exit":
            self.take()
            return Exit(None if self.at("newline") or self.at("end") or self.at("symbol", "}") else self.value())
        if token.kind in ("squote", "dquote"):  # a bare string is written to the output
            return Pipeline([Command("Write-Output", [Argument(None, self.value(), True)], token.line, self.source(token.line))], line=token.line)
        return self.pipeline()

    def source(self, line: int) -> str:
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""

    def pipeline(self) -> Pipeline:
        commands = [self.command()]
        while self.at("symbol", "|"):
            self.take()
            while self.at("newline") and self.peek().text != ";":
                self.take()
            commands.append(self.command())
        redirect = None
        if self.at("redirect"):
            operator = self.take()
            if operator.text != "*>":
                raise ParseError(f"At line:{operator.line}\nThe redirection '{operator.text}' is not supported by this simulated guest.")
            redirect = self.value()
        return Pipeline(commands, redirect, commands[0].line)

    def command(self) -> Command:
        token = self.peek()
        if token.kind == "symbol" and token.text == "&":
            self.take()
            return Command("&", [Argument(None, self.value(), True)], token.line, self.source(token.line))
        if token.kind != "word":
            raise ParseError(f"At line:{token.line}\nUnexpected token '{token.text or 'end of input'}' in expression or statement.")
        self.take()
        arguments = []
        while not (self.at("newline") or self.at("end") or self.at("redirect") or self.at("symbol", "|") or self.at("symbol", "}")):
            if self.at("parameter"):
                parameter = self.take().text
                if parameter.endswith(":"):  # -Confirm:$false
                    arguments.append(Argument(parameter[1:-1], self.value(), True))
                elif self.value_follows():
                    arguments.append(Argument(parameter[1:], self.value(), True))
                else:
                    arguments.append(Argument(parameter[1:]))
            else:
                arguments.append(Argument(None, self.value(), True))
        return Command(token.text, arguments, token.line, self.source(token.line))

    def value_follows(self) -> bool:
        return not (self.at("parameter") or self.at("newline") or self.at("end") or self.at("redirect")
                    or self.at("symbol", "|") or self.at("symbol", "}"))

    def value(self) -> Any:
        items = [self.primary()]
        while self.at("symbol", ","):
            self.take()
            items.append(self.primary())
        return items[0] if len(items) == 1 else ArrayLiteral(items)

    def primary(self) -> Any:
        token = self.take()
        if token.kind == "squote":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "dquote":
            return Expandable(token.text[1:-1])
        if token.kind == "number":
            return Literal(int(token.text))
        if token.kind == "variable":
            return Variable(token.text[1:].lower())
        if token.kind == "word":  # a bare argument: PowerShell passes it as a string
            return Literal(token.text)
        if token.kind == "symbol" and token.text == "{":
            self.index -= 1
            return ScriptBlock(self.block())
        raise ParseError(f"At line:{token.line}\nUnexpected token '{token.text or 'end of input'}' in expression or statement.")


# ----------------------------------------------------------------------------------- objects


@dataclass
class PSObject:
    type_name: str
    properties: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        for key, value in self.properties.items():
            if key.lower() == name.lower():
                return value
        return None


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return " ".join(to_text(v) for v in value)
    if isinstance(value, ErrorRecord):
        return value.message
    if isinstance(value, PSObject):
        width = max(len(k) for k in value.properties)
        return "\n" + "\n".join(f"{k.ljust(width)} : {to_text(v)}" for k, v in value.properties.items()) + "\n"
    return str(value)


# ----------------------------------------------------------------------------------- running


@dataclass
class Output:
    """The success and error streams of what runs, in order."""

    items: list[Any] = field(default_factory=list)

    def text(self) -> str:
        return "".join((item.formatted() if isinstance(item, ErrorRecord) else to_text(item)) + "\n" for item in self.items)


class Session:
    def __init__(self, root: Path, non_interactive: bool):
        self.root = root
        self.guest = Guest(root)
        self.non_interactive = non_interactive
        self.scopes: list[dict[str, Any]] = [{"erroractionpreference": "Continue", "true": True, "false": False, "null": None}]
        self.script = ""  # the guest path of the script running, for error positions

    # -- paths
    def host_path(self, guest_path: str) -> Path:
        match = re.match(r"^([A-Za-z]):[\\/](.*)$", guest_path)
        if not match:
            raise Terminating(ErrorRecord(f"Cannot find path '{guest_path}' because it is not an absolute path.",
                                          category="ObjectNotFound", error_id="PathNotFound"))
        parts = [p for p in re.split(r"[\\/]+", match.group(2)) if p not in ("", ".", "..")]
        return self.root.joinpath(match.group(1), *parts)

    # -- variables
    def variable(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    # -- evaluating
    def evaluate(self, expression: Any) -> Any:
        if isinstance(expression, Literal):
            return expression.value
        if isinstance(expression, Variable):
            return self.variable(expression.name)
        if isinstance(expression, Expandable):
            return self.expand(expression.text)
        if isinstance(expression, ArrayLiteral):
            return [self.evaluate(item) for item in expression.items]
        if isinstance(expression, ScriptBlock):
            return expression
        raise ParseError(f"cannot evaluate {expression!r}")

    def expand(self, text: str) -> str:
        """A double-quoted string: backtick escapes, $var and $($var.Property...) (members only)."""
        escapes = {"t": "\t", "n": "\n", "r": "\r", "0": "\0", "`": "`", '"': '"', "$": "$"}

        def member_chain(chain: str) -> str:
            name, *members = chain.split(".")
            value = self.variable(name.lower())
            for member in members:
                value = self.member(value, member)
            return to_text(value)

        out, position = [], 0
        pattern = re.compile(r"`(.)|\$\(\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\)|\$([A-Za-z_][A-Za-z0-9_]*)|\$\(")
        for match in pattern.finditer(text):
            out.append(text[position:match.start()])
            if match.group(1) is not None:
                out.append(escapes.get(match.group(1), match.group(1)))
            elif match.group(2) is not None:
                out.append(member_chain(match.group(2)))
            elif match.group(3) is not None:
                out.append(member_chain(match.group(3)))
            else:
                raise ParseError(f'the subexpression in "{text}" is not supported by this simulated guest')
            position = match.end()
        out.append(text[position:])
        return "".join(out)

    @staticmethod
    def member(value: Any, name: str) -> Any:
        if isinstance(value, PSObject):
            return value.get(name)
        if isinstance(value, ErrorRecord):
            members = {"exception": PSObject("System.Exception", {"Message": value.message}),
                       "invocationinfo": PSObject("InvocationInfo", {"MyCommand": PSObject("CommandInfo", {"Name": value.command}),
                                                                     "ScriptLineNumber": value.line, "Line": value.text})}
            return members.get(name.lower())
        return None  # PowerShell yields $null for a missing member

    # -- statements
    def run(self, statements: list[Any], output: Output) -> bool:
        """Run statements; False when the last one failed ($? false)."""
        succeeded = True
        for statement in statements:
            succeeded = self.statement(statement, output)
        return succeeded

    def statement(self, statement: Any, output: Output) -> bool:
        if isinstance(statement, Assignment):
            self.scopes[-1][statement.variable] = self.evaluate(statement.value)
            return True
        if isinstance(statement, Exit):
            raise ExitScript(int(self.evaluate(statement.code) or 0) if statement.code is not None else 0)
        if isinstance(statement, Try):
            try:
                self.scopes[-1]["__in_try"] = self.scopes[-1].get("__in_try", 0) + 1
                try:
                    return self.run(statement.body, output)
                finally:
                    self.scopes[-1]["__in_try"] -= 1
            except Terminating as exc:
                exc.record.script = exc.record.script or self.script
                self.scopes[-1]["_"] = exc.record
                return self.run(statement.handler, output)
        try:
            return self.pipeline(statement, output)
        except Terminating as exc:
            exc.record.script = exc.record.script or self.script
            # A statement-terminating error: it ends the script under Stop or inside try; else it is reported and the
            # script goes on.
            if self.preference() == "stop" or any(scope.get("__in_try") for scope in self.scopes):
                raise
            output.items.append(exc.record)
            return False

    def preference(self, arguments: dict[str, Any] | None = None) -> str:
        chosen = (arguments or {}).get("ErrorAction") or self.variable("erroractionpreference") or "Continue"
        return str(chosen).lower()

    def pipeline(self, pipeline: Pipeline, output: Output) -> bool:
        target = output
        if pipeline.redirect is not None:
            target = Output()
        ok = True
        try:
            items: list[Any] | None = None
            for command in pipeline.commands:
                items, command_ok = self.invoke(command, items, target)
                ok = ok and command_ok
            target.items.extend(items or [])
        finally:
            if pipeline.redirect is not None:
                path = self.host_path(to_text(self.evaluate(pipeline.redirect)))
                # Windows PowerShell 5.1's Out-File (what > and *> are) writes UTF-16LE with a BOM.
                path.write_bytes(codecs.BOM_UTF16_LE + target.text().replace("\n", "\r\n").encode("utf-16-le"))
        return ok

    def invoke(self, command: Command, pipeline_input: list[Any] | None, output: Output) -> tuple[list[Any], bool]:
        if command.name == "&":
            return [], self.call_script(to_text(self.evaluate(command.arguments[0].value)), output)
        cmdlet = CMDLETS.get(command.name.lower())
        if cmdlet is None:
            raise Terminating(ErrorRecord(
                f"The term '{command.name}' is not recognized as the name of a cmdlet, function, script file, or operable "
                "program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.",
                category="ObjectNotFound", error_id="CommandNotFoundException", line=command.line, text=command.text))
        name, parameters, handler = cmdlet
        bound = self.bind(name, parameters, command)
        if name not in ("ForEach-Object", "Write-Output"):  # the log is of network commands
            log_command(self.root, name, [a for arg in command.arguments for a in ([f"-{arg.parameter}"] if arg.parameter else [])
                                          + ([",".join(_strings(self.evaluate(arg.value)))] if arg.has_value else [])])
        call = Call(self, name, bound, command, output)
        results: list[Any] = []
        for item in (pipeline_input if pipeline_input is not None else [None]):
            results += handler(call, item) or []
        return results, not call.failed

    def bind(self, name: str, parameters: dict[str, Callable[[Any], Any]], command: Command) -> dict[str, Any]:
        """Named parameters by full name or unambiguous prefix, case-insensitive; positionals to "Position0"."""
        bound: dict[str, Any] = {}
        known = {**parameters, **COMMON_PARAMETERS}
        for argument in command.arguments:
            if argument.parameter is None:
                key = "Position0" if "Position0" in parameters and "Position0" not in bound else None
                if key is None:
                    raise self.binding_error(name, command, f"A positional parameter cannot be found that accepts argument "
                                                            f"'{to_text(self.evaluate(argument.value))}'.", "PositionalParameterNotFound")
            else:
                matches = [k for k in known if k.lower() == argument.parameter.lower()] or \
                          [k for k in known if k.lower().startswith(argument.parameter.lower()) and k != "Position0"]
                if len(matches) != 1:
                    raise self.binding_error(name, command, f"A parameter cannot be found that matches parameter name '{argument.parameter}'."
                                             if not matches else f"Parameter cannot be processed because the parameter name "
                                             f"'{argument.parameter}' is ambiguous.", "NamedParameterNotFound")
                key = matches[0]
            value = self.evaluate(argument.value) if argument.has_value else True
            try:
                bound[key] = known[key](value)
            except (ValueError, TypeError) as exc:
                raise self.binding_error(name, command, f"Cannot process argument transformation on parameter '{key}'. {exc}",
                                         "ParameterArgumentTransformationError") from None
        return bound

    @staticmethod
    def binding_error(name: str, command: Command, message: str, error_id: str) -> Terminating:
        return Terminating(ErrorRecord(message, name, "InvalidArgument", error_id, command.line, command.text))

    def call_script(self, guest_path: str, output: Output) -> bool:
        path = self.host_path(guest_path)
        if not path.is_file():
            raise Terminating(ErrorRecord(f"The term '{guest_path}' is not recognized as the name of a cmdlet, function, "
                                          "script file, or operable program.", category="ObjectNotFound", error_id="CommandNotFoundException"))
        data = path.read_bytes()
        # Windows PowerShell 5.1 reads a script without a BOM in the system's ANSI code page, not UTF-8.
        for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")):
            if data.startswith(bom):
                source = data[len(bom):].decode(encoding)
                break
        else:
            source = data.decode("cp1252", "replace")
        try:
            statements = Parser(source).script()
        except ParseError as exc:
            raise Terminating(ErrorRecord(f"{guest_path}: {exc}", category="ParserError", error_id="ParseException")) from None
        outer_script, self.script = self.script, guest_path
        self.scopes.append({})
        try:
            self.run(statements, output)
            return True
        except ExitScript as exc:
            return exc.code == 0
        finally:
            self.scopes.pop()
            self.script = outer_script


@dataclass
class Call:
    """One cmdlet invocation: its bound parameters and how it reports errors."""

    session: Session
    name: str
    parameters: dict[str, Any]
    command: Command
    output: Output
    failed: bool = False

    def error(self, message: str, category: str, error_id: str) -> None:
        """A non-terminating error: dropped, reported, or (Stop) terminating, as the error action says."""
        self.failed = True
        record = ErrorRecord(message, self.name, category, error_id, self.command.line, self.command.text, self.session.script)
        preference = self.session.preference(self.parameters)
        if preference == "stop":
            raise Terminating(record)
        if preference not in ("silentlycontinue", "ignore"):
            self.output.items.append(record)

    def confirmed(self) -> bool:
        """High-impact cmdlets ask first; a non-interactive session cannot answer."""
        if self.parameters.get("Confirm") is False:
            return True
        if self.session.non_interactive:
            raise Terminating(ErrorRecord("PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.",
                                          self.name, "InvalidOperation", "HostException", self.command.line, self.command.text))
        return False

    def administrator(self) -> bool:
        if self.session.guest.image.get("administrator", True):
            return True
        self.error("Access is denied.", "PermissionDenied", "Windows System Error 5")
        return False

    def alias(self) -> str | None:
        """The interface alias asked for; an unknown one is an error."""
        alias = self.parameters.get("InterfaceAlias")
        if alias is not None and alias.lower() != self.session.guest.interface.lower():
            self.error(f"No MSFT_NetIPInterface objects found with property 'InterfaceAlias' equal to '{alias}'.  "
                       "Verify the value of the property and retry.", "ObjectNotFound", "CmdletizationQuery_NotFound_InterfaceAlias")
            return None
        return self.session.guest.interface


# ----------------------------------------------------------------------------------- the NetTCPIP cmdlets


def _enum(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        for choice in choices:
            if str(value).lower() == choice.lower():
                return choice
        raise ValueError(f'Cannot convert value "{value}" to type. Specify one of the following enumerator names and try again: {", ".join(choices)}')
    return convert


def _string(value: Any) -> str:
    if isinstance(value, (list, ScriptBlock)):
        raise ValueError("Cannot convert the value to type \"System.String\".")
    return to_text(value)


def _ipv4(value: Any) -> str:
    return str(ipaddress.IPv4Address(_string(value)))


def _strings(value: Any) -> list[str]:
    return [_string(v) for v in (value if isinstance(value, list) else [value])]


def _switch(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"Cannot convert '{value}' to System.Management.Automation.SwitchParameter.")
    return value


def _prefix(value: Any) -> int:
    prefix = int(_string(value))
    if not 0 <= prefix <= 32:
        raise ValueError(f"The {prefix} argument is greater than the maximum allowed range of 32.")
    return prefix


COMMON_PARAMETERS: dict[str, Callable[[Any], Any]] = {"ErrorAction": _enum("SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore")}
_FAMILY = _enum("IPv4", "IPv6")


def _state(call: Call) -> dict[str, Any]:
    return call.session.guest.current()


def _save(call: Call, state: dict[str, Any]) -> None:
    nic = state["interfaces"][0]
    call.session.guest.write_network(nic["addresses"], nic["dhcp"], state.get("gateway") or "", state.get("dns") or [])


def _address_object(alias: str, index: int, ip: str, prefix: int, origin: str) -> PSObject:
    return PSObject("MSFT_NetIPAddress", {"IPAddress": ip, "InterfaceIndex": index, "InterfaceAlias": alias, "AddressFamily": "IPv4",
                                          "Type": "Unicast", "PrefixLength": prefix, "PrefixOrigin": origin,
                                          "SuffixOrigin": "Dhcp" if origin == "Dhcp" else origin, "AddressState": "Preferred"})


def get_net_adapter(call: Call, _: Any) -> list[Any]:
    guest = call.session.guest
    name = call.parameters.get("Name") or call.parameters.get("Position0")
    if name is not None and name.lower() != guest.interface.lower():
        call.error(f"No MSFT_NetAdapter objects found with property 'Name' equal to '{name}'.  Verify the value of the property and retry.",
                   "ObjectNotFound", "Windows System Error -2147024894")
        return []
    return [PSObject("MSFT_NetAdapter", {"Name": guest.interface, "InterfaceDescription": "vmxnet3 Ethernet Adapter", "ifIndex": IF_INDEX,
                                         "Status": "Up", "MacAddress": guest.mac.upper().replace(":", "-"), "LinkSpeed": "10 Gbps"})]


def get_net_ip_address(call: Call, _: Any) -> list[Any]:
    if call.parameters.get("AddressFamily") == "IPv6":
        return []
    state, guest = _state(call), call.session.guest
    found = [_address_object(LOOPBACK_ALIAS, LOOPBACK_INDEX, "127.0.0.1", 8, "WellKnown")]
    found += [_address_object(guest.interface, IF_INDEX, a["ip"], a["prefix"], "Dhcp" if a["origin"] == "dhcp" else "Manual")
              for a in state["interfaces"][0]["addresses"] if ":" not in a["ip"]]
    for key in ("InterfaceAlias", "IPAddress"):
        wanted = call.parameters.get(key)
        if wanted is not None:
            found = [a for a in found if str(a.get(key)).lower() == wanted.lower()]
            if not found:
                call.error(f"No MSFT_NetIPAddress objects found with property '{key}' equal to '{wanted}'.  "
                           "Verify the value of the property and retry.", "ObjectNotFound", f"CmdletizationQuery_NotFound_{key}")
    return found


def remove_net_ip_address(call: Call, item: Any) -> list[Any]:
    if not isinstance(item, PSObject) or item.type_name != "MSFT_NetIPAddress":
        raise Terminating(ErrorRecord("The input object cannot be bound to any parameters for the command.", call.name, "InvalidArgument",
                                      "InputObjectNotBound", call.command.line, call.command.text))
    if not call.confirmed() or not call.administrator():
        return []
    state = _state(call)
    nic = state["interfaces"][0]
    nic["addresses"] = [a for a in nic["addresses"] if a["ip"] != item.get("IPAddress")]
    _save(call, state)
    return []


def _default_routes(call: Call) -> list[PSObject]:
    state, guest = _state(call), call.session.guest
    return [PSObject("MSFT_NetRoute", {"DestinationPrefix": "0.0.0.0/0", "NextHop": state["gateway"], "InterfaceAlias": guest.interface,
                                       "ifIndex": IF_INDEX, "RouteMetric": 0, "AddressFamily": "IPv4"})] if state.get("gateway") else []


def get_net_route(call: Call, _: Any) -> list[Any]:
    wanted = call.parameters.get("DestinationPrefix")
    if wanted not in (None, "0.0.0.0/0") or call.alias() is None:
        return []  # only the default route is simulated
    routes = _default_routes(call)
    if not routes:
        call.error("No matching MSFT_NetRoute objects found by CIM query for instances of the ROOT/StandardCimv2/MSFT_NetRoute class "
                   "on the  CIM server: SELECT * FROM MSFT_NetRoute  WHERE ((DestinationPrefix LIKE '0.0.0.0/0')). Verify query "
                   "parameters and retry.", "ObjectNotFound", "CmdletizationQuery_NotFound")
    return routes


def remove_net_route(call: Call, item: Any) -> list[Any]:
    if not isinstance(item, PSObject) or item.type_name != "MSFT_NetRoute":
        raise Terminating(ErrorRecord("The input object cannot be bound to any parameters for the command.", call.name, "InvalidArgument",
                                      "InputObjectNotBound", call.command.line, call.command.text))
    if call.confirmed() and call.administrator():
        state = _state(call)
        state["gateway"] = ""
        _save(call, state)
    return []


def set_net_ip_interface(call: Call, _: Any) -> list[Any]:
    if call.alias() is None or not call.administrator():
        return []
    dhcp = call.parameters.get("Dhcp")
    if dhcp is None:
        return []
    state, guest = _state(call), call.session.guest
    nic = state["interfaces"][0]
    if dhcp == "Enabled" and not nic["dhcp"]:
        nic["addresses"] = guest.lease_addresses()
        state["gateway"], state["dns"] = guest.lease["gateway"], list(guest.lease["dns"])
    nic["dhcp"] = dhcp == "Enabled"  # disabling keeps the lease's address and route until removed, as Windows does
    _save(call, state)
    return []


def new_net_ip_address(call: Call, _: Any) -> list[Any]:
    for required in ("IPAddress", "PrefixLength"):
        if required not in call.parameters:
            raise Terminating(ErrorRecord(f"Cannot process command because of one or more missing mandatory parameters: {required}.",
                                          call.name, "InvalidArgument", "MissingMandatoryParameter", call.command.line, call.command.text))
    alias = call.alias()
    if alias is None or not call.administrator():
        return []
    state = _state(call)
    nic = state["interfaces"][0]
    ip, prefix, gateway = call.parameters["IPAddress"], call.parameters["PrefixLength"], call.parameters.get("DefaultGateway")
    if nic["dhcp"]:
        call.error("Inconsistent parameters PolicyStore PersistentStore and Dhcp Enabled", "InvalidArgument", "Windows System Error 87")
        return []
    if any(a["ip"] == ip for a in nic["addresses"]):
        call.error("Instance MSFT_NetIPAddress already exists", "InvalidArgument", "Windows System Error 87")
        return []
    if gateway and (state.get("gateway") or call.session.guest.image.get("stale_gateway")):
        call.error("Instance DefaultGateway already exists", "InvalidArgument", "Windows System Error 87")
        return []
    nic["addresses"].append({"ip": ip, "prefix": prefix, "origin": "manual"})
    if gateway:
        state["gateway"] = gateway
    _save(call, state)
    return [_address_object(alias, IF_INDEX, ip, prefix, "Manual")]


def set_dns_client_server_address(call: Call, _: Any) -> list[Any]:
    if call.alias() is None or not call.administrator():
        return []
    state = _state(call)
    if call.parameters.get("ResetServerAddresses"):
        state["dns"] = list(call.session.guest.lease["dns"]) if state["interfaces"][0]["dhcp"] else []
    elif "ServerAddresses" in call.parameters:
        state["dns"] = call.parameters["ServerAddresses"]
    _save(call, state)
    return []


def foreach_object(call: Call, item: Any) -> list[Any]:
    block = call.parameters.get("Position0") or call.parameters.get("Process")
    if not isinstance(block, ScriptBlock):
        raise Terminating(ErrorRecord("Cannot bind parameter 'Process'. A script block is required.", call.name, "InvalidArgument",
                                      "CannotConvertArgument", call.command.line, call.command.text))
    if item is None:
        return []
    session = call.session
    session.scopes.append({"_": item})
    try:
        emitted = Output()
        session.run(block.statements, emitted)
    finally:
        session.scopes.pop()
    return emitted.items


def write_output(call: Call, item: Any) -> list[Any]:
    value = call.parameters.get("Position0", call.parameters.get("InputObject"))
    return [item] if value is None and item is not None else _strings(value) if isinstance(value, list) else [value]


def _script_block(value: Any) -> ScriptBlock:
    if not isinstance(value, ScriptBlock):
        raise ValueError("a script block is required")
    return value


_ALIAS_PARAMETERS = {"InterfaceAlias": _string, "AddressFamily": _FAMILY}
CMDLETS: dict[str, tuple[str, dict[str, Callable[[Any], Any]], Callable[[Call, Any], list[Any]]]] = {
    name.lower(): (name, parameters, handler) for name, parameters, handler in [
        ("Get-NetAdapter", {"Name": _string, "Position0": _string}, get_net_adapter),
        ("Get-NetIPAddress", {**_ALIAS_PARAMETERS, "IPAddress": _ipv4}, get_net_ip_address),
        ("Remove-NetIPAddress", {**_ALIAS_PARAMETERS, "Confirm": _switch}, remove_net_ip_address),
        ("Get-NetRoute", {**_ALIAS_PARAMETERS, "DestinationPrefix": _string}, get_net_route),
        ("Remove-NetRoute", {**_ALIAS_PARAMETERS, "Confirm": _switch}, remove_net_route),
        ("Set-NetIPInterface", {**_ALIAS_PARAMETERS, "Dhcp": _enum("Enabled", "Disabled"), "Confirm": _switch}, set_net_ip_interface),
        ("New-NetIPAddress", {**_ALIAS_PARAMETERS, "IPAddress": _ipv4, "PrefixLength": _prefix, "DefaultGateway": _ipv4,
                              "Confirm": _switch}, new_net_ip_address),
        ("Set-DnsClientServerAddress", {"InterfaceAlias": _string, "ServerAddresses": lambda v: [_ipv4(s) for s in _strings(v)],
                                        "ResetServerAddresses": _switch, "Confirm": _switch}, set_dns_client_server_address),
        ("ForEach-Object", {"Position0": _script_block, "Process": _script_block}, foreach_object),
        ("Write-Output", {"Position0": lambda v: v, "InputObject": lambda v: v}, write_output),
    ]
}


# ----------------------------------------------------------------------------------- powershell.exe


def main(argv: list[str], root: str) -> int:
    """powershell.exe's command line: the options the product passes, then -Command and the rest as its text."""
    log_command(Path(root), "powershell.exe", argv)
    options = {"-noprofile": "NoProfile", "-noninteractive": "NonInteractive", "-executionpolicy": "ExecutionPolicy", "-command": "Command"}
    seen: dict[str, str | bool] = {}
    position = 0
    while position < len(argv):
        word = argv[position]
        matches = [name for key, name in options.items() if key.startswith(word.lower()) and len(word) > 1]
        if len(matches) != 1:
            print(f"powershell.exe: unknown or ambiguous parameter '{word}' (this simulated guest knows -NoProfile, "
                  "-NonInteractive, -ExecutionPolicy, -Command)", file=sys.stderr)
            return 1
        name = matches[0]
        position += 1
        if name == "Command":
            seen[name] = " ".join(argv[position:])
            break
        if name == "ExecutionPolicy":
            if position >= len(argv):
                print("powershell.exe: -ExecutionPolicy needs a value", file=sys.stderr)
                return 1
            seen[name] = argv[position]
            position += 1
        else:
            seen[name] = True
    if "Command" not in seen:
        print("powershell.exe: this simulated guest only runs -Command", file=sys.stderr)
        return 1
    session = Session(Path(root), non_interactive=bool(seen.get("NonInteractive")))
    output = Output()
    try:
        code = 0 if session.run(Parser(str(seen["Command"])).script(), output) else 1
    except ParseError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except Terminating as exc:
        output.items.append(exc.record)
        code = 1
    except ExitScript as exc:
        code = exc.code
    # What the command itself did not redirect goes to the console: errors to stderr (VMware Tools keeps neither).
    for item in output.items:
        if isinstance(item, ErrorRecord):
            print(item.formatted(), file=sys.stderr)
        else:
            print(to_text(item))
    return code
