build-stress/obj/src/tools/fleet_check.o: src/tools/fleet_check.c \
 include/macext/fileset.h include/macext/cs_blobs.h include/macext/err.h \
 src/tools/fleet.h src/tools/tools.h include/macext/core.h \
 include/macext/store.h src/tools/kext_tools.h include/macext/kext.h \
 src/tools/boot_tools.h include/macext/boot.h
include/macext/fileset.h:
include/macext/cs_blobs.h:
include/macext/err.h:
src/tools/fleet.h:
src/tools/tools.h:
include/macext/core.h:
include/macext/store.h:
src/tools/kext_tools.h:
include/macext/kext.h:
src/tools/boot_tools.h:
include/macext/boot.h:
