# Sourced by tools/tsan.sh and tools/memcheck.sh, from the repository's
# root.  build_copy DIR PYTHON [VAR=VALUE ...]: copy the working tree (the
# files git tracks and the untracked ones it does not ignore) into
# DIR/tree and build the extension there in place, with VAR=VALUE in the
# build's environment, so that the tree's own build is left alone.  On a
# failed build, print its log and exit with status 2.
build_copy() {
    local dir=$1 python=$2
    shift 2
    mkdir -p "$dir/tree"
    git ls-files -z --cached --others --exclude-standard \
        | xargs -0 cp --parents -t "$dir/tree"
    (cd "$dir/tree" && env "$@" "$python" setup.py -q build_ext --inplace \
        >"$dir/build.log" 2>&1) || { cat "$dir/build.log"; exit 2; }
}
