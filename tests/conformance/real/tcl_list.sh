# tclsh: a list transformed in a loop, compared at the end with a recomputation.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > steps.tcl <<'TCL'
proc fresh {} { set l {}; for {set i 1} {$i <= 100000} {incr i} { lappend l $i }; return $l }
proc step {l r} { set o {}; foreach v $l { lappend o [expr {($v * 31 + $r) % 1000003}] }; return $o }
set l [fresh]; set n 0
while {![file exists $env(CONFORMANCE_DONE)]} { incr n; set l [step $l $n]; if {$n == 1} { puts ready; flush stdout } }
set u [fresh]; for {set r 1} {$r <= $n} {incr r} { set u [step $u $r] }
puts "rounds $n [expr {$l eq $u ? {equal} : {DIFFERENT}}]"
TCL
CMD='exec tclsh steps.tcl'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ equal$' "$out" || fail "tcl_list: $(tail -n 2 "$out")"; }
