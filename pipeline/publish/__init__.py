"""Publishing: the build lock, the working copy and the atomic replace of the published warehouse."""
