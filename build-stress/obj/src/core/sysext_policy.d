build-stress/obj/src/core/sysext_policy.o: src/core/sysext_policy.c \
 include/macext/sysext.h include/macext/core.h include/macext/err.h \
 include/macext/plist_util.h
include/macext/sysext.h:
include/macext/core.h:
include/macext/err.h:
include/macext/plist_util.h:
