# gfortran with OpenMP (libgomp's thread team, libgfortran's buffered units): a loop over an array
# on two threads, each round's first value written to a Fortran unit; at the end the array is
# compared with a recomputation and the unit's file must hold every round once, in order.
# shellcheck shell=bash disable=SC2034,SC2154  # sourced by ../run.sh: it uses CMD, READY, check; sets out, T
cat > steps.f90 <<'F90'
program steps
  implicit none
  integer, parameter :: n = 1000000
  real(8), allocatable :: a(:), b(:)
  integer :: r, rounds, i, u, k, ios
  logical :: done, same
  character(len=512) :: donefile
  character(len=64) :: line
  call get_environment_variable('CONFORMANCE_DONE', donefile)
  allocate(a(n), b(n))
  do i = 1, n
    a(i) = i
  end do
  open(newunit=u, file='rounds.txt', status='replace', action='write')
  rounds = 0
  do
    rounds = rounds + 1
    call step(a, rounds)
    write(u, '(a,i0)') 'round ', rounds
    if (rounds == 1) then
      print '(a)', 'ready'
      flush(6)
    end if
    inquire(file=trim(donefile), exist=done)
    if (done) exit
  end do
  close(u)
  do i = 1, n
    b(i) = i
  end do
  do r = 1, rounds
    call step(b, r)
  end do
  same = all(a == b)
  ! The unit's file: 'round 1' .. 'round <rounds>', nothing else.
  open(newunit=u, file='rounds.txt', status='old', action='read')
  k = 0
  do
    read(u, '(a)', iostat=ios) line
    if (ios /= 0) exit
    k = k + 1
    if (trim(line) /= 'round ' // itoa(k)) same = .false.
  end do
  close(u)
  if (k /= rounds) same = .false.
  if (same) then
    print '(a,i0,a)', 'rounds ', rounds, ' equal'
  else
    print '(a,i0,a,i0,a)', 'rounds ', rounds, ' lines ', k, ' DIFFERENT'
  end if
contains
  subroutine step(t, r)
    real(8), intent(inout) :: t(:)
    integer, intent(in) :: r
    integer :: j
    !$omp parallel do
    do j = 1, size(t)
      t(j) = mod(t(j) * 31d0 + r, 1000003d0)
    end do
    !$omp end parallel do
  end subroutine
  function itoa(v) result(s)
    integer, intent(in) :: v
    character(len=:), allocatable :: s
    character(len=16) :: buf
    write(buf, '(i0)') v
    s = trim(buf)
  end function
end program
F90
gfortran -O2 -fopenmp steps.f90 -o steps || fail "gfortran could not build steps.f90"
export OMP_NUM_THREADS=2
CMD='exec ./steps'
READY='^ready$'
check() { grep -qE '^rounds [0-9]+ equal$' "$out" || fail "fortran_openmp: $(tail -n 2 "$out")"; }
